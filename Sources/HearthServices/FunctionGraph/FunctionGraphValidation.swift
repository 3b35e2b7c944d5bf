import Foundation
import HearthCore

/// The field rules of FunctionGraph function create and update, each refusal under the
/// `FSS` code the API reference gives it.
enum FunctionGraphValidation {
    static let maxInlineCode = 10 * 1024

    /// ≤ 60 characters of letters, digits, `-` and `_`, starting with a letter and ending with a letter or digit.
    static func funcName(_ name: String?) throws(FunctionGraphError) -> String {
        guard let name, !name.isEmpty else { throw FunctionGraphError(.badRequest, "FSS.1002", "func_name is required.") }
        let valid = name.count <= 60 && name.first!.isASCII && name.first!.isLetter
            && name.last!.isASCII && (name.last!.isLetter || name.last!.isNumber)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        guard valid else {
            throw FunctionGraphError(
                .badRequest, "FSS.1002",
                "Invalid function name '\(name)': at most 60 letters, digits, '-' and '_', starting with a letter and ending with a letter or digit."
            )
        }
        return name
    }

    static func package(_ package: String?) throws(FunctionGraphError) -> String {
        let package = package.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        guard FunctionURN.isToken(package) else {
            throw .invalid("Invalid package '\(package)': at most 64 letters, digits, '-', '_' and '.'.")
        }
        return package
    }

    static func handler(_ handler: String?) throws(FunctionGraphError) -> String {
        guard let handler, (3...128).contains(handler.count) else {
            throw FunctionGraphError(.badRequest, "FSS.1003", "Invalid handler '\(handler ?? "")': use file.function (for example index.handler), 3 to 128 characters.")
        }
        do {
            return try FunctionService.checkEntry(handler)
        } catch {
            throw FunctionGraphError(.badRequest, "FSS.1003", "Invalid handler '\(handler)': use file.function (for example index.handler).")
        }
    }

    /// MB in, bytes out, within the operator's bounds.
    static func memory(_ megabytes: Int?, limits: ResourceLimits) throws(FunctionGraphError) -> Int {
        let bound = limits.memorySize
        let (low, high) = ((bound.min + (1 << 20) - 1) >> 20, bound.max >> 20)
        guard let megabytes, bound.contains(megabytes << 20) else {
            throw FunctionGraphError(.badRequest, "FSS.1007", "Invalid memory_size \(megabytes.map(String.init) ?? "(missing)"): this daemon allows \(low) to \(high) MB.")
        }
        return megabytes << 20
    }

    /// FunctionGraph allows 3 s and up; the operator's bound applies as well.
    static func timeout(_ seconds: Int?, limits: ResourceLimits) throws(FunctionGraphError) -> Int {
        let low = max(3, limits.timeout.min)
        guard let seconds, seconds >= low, limits.timeout.contains(seconds) else {
            throw FunctionGraphError(.badRequest, "FSS.1008", "Invalid timeout \(seconds.map(String.init) ?? "(missing)"): this daemon allows \(low) to \(limits.timeout.max) seconds.")
        }
        return seconds
    }

    /// FunctionGraph's share for a memory size (memory/128 × 100 + 200 millicores), within the operator's bounds.
    static func cpu(forMemory bytes: Int, limits: ResourceLimits) -> Int {
        min(max((bytes >> 20) / 128 * 100 + 200, limits.cpu.min), limits.cpu.max)
    }

    static func codeType(_ type: String?) throws(FunctionGraphError) -> String {
        switch type {
        case nil, "zip"?: return "zip"
        case "inline"?: return "inline"
        case let other?:
            throw FunctionGraphError(.badRequest, "FSS.1006", "Code type '\(other)' is not supported by Hearth: send the code as code_type zip (or inline) with func_code.file = base64 of a zip.")
        }
    }

    /// `func_code.file`: base64 of a zip (not yet checked as a zip).
    static func codeBytes(_ file: String?, codeType: String) throws(FunctionGraphError) -> [UInt8] {
        guard let file, !file.isEmpty else {
            throw FunctionGraphError(.badRequest, "FSS.1012", "The function code must be configured: send func_code.file, the base64 of a zip.")
        }
        guard let data = Data(base64Encoded: file, options: .ignoreUnknownCharacters), !data.isEmpty else {
            throw FunctionGraphError(.badRequest, "FSS.1011", "Invalid function code: func_code.file is not base64.")
        }
        if codeType == "inline", data.count > maxInlineCode {
            throw FunctionGraphError(.tooLarge, "FSS.1072", "Inline code is \(data.count) bytes; at most \(maxInlineCode) are allowed. Use code_type zip for larger packages.")
        }
        return Array(data)
    }

    /// A zip the package rules accept (paths, symlinks, sizes).
    static func package(bytes: [UInt8], settings: ServiceSettings) throws(FunctionGraphError) -> FunctionPackage {
        do {
            return try FunctionPackage(bytes: bytes, settings: settings)
        } catch ServiceError.tooLarge(let message) {
            throw FunctionGraphError(.tooLarge, "FSS.1071", message)
        } catch {
            throw FunctionGraphError(.badRequest, "FSS.1011", "Invalid function code: \(error)")
        }
    }

    /// -1 (unlimited) or 0 (disabled) to 1000.
    static func concurrency(_ value: Int?) throws(FunctionGraphError) -> Int? {
        guard let value else { return nil }
        guard (-1...1000).contains(value) else {
            throw .invalid("Invalid strategy_config.concurrency \(value): use -1 (unlimited), 0 (disabled) or up to 1000.")
        }
        return value
    }
}
