import HearthCore

/// Checks a function's `code` object. Hearth runs zip packages only; Qinling's other sources
/// (`swift` objects, container `image`s) are refused with a message saying so.
enum CodeSource {
    /// Returns the client's `md5sum`, if it sent one.
    static func checkPackageSource(_ code: JSONValue) throws -> String? {
        guard let members = code.objectMembers else {
            throw ServiceError.invalidInput("code must be a JSON object such as {\"source\": \"package\"}, got a \(code.typeName).")
        }
        guard let sourceValue = code["source"] else {
            throw ServiceError.invalidInput("code.source is required: use {\"source\": \"package\"} and send the zip as multipart field 'package'.")
        }
        guard case .string(let source) = sourceValue else {
            throw ServiceError.invalidInput("code.source must be a string, got a \(sourceValue.typeName).")
        }
        switch source {
        case "package":
            break
        case "swift", "image":
            throw ServiceError.invalidInput(
                "Code source '\(source)' is not supported by Hearth: upload the code as a zip package (code={\"source\": \"package\"} and multipart field 'package')."
            )
        default:
            throw ServiceError.invalidInput("Invalid code source specified, available sources: package")
        }
        for member in members where !["source", "md5sum"].contains(member.key) {
            throw ServiceError.invalidInput("Unknown attribute for code: \(member.key). A package code object has \"source\" and \"md5sum\".")
        }
        switch code["md5sum"] {
        case nil, .null?: return nil
        case .string(let md5)?: return md5.lowercased()
        case let other?: throw ServiceError.invalidInput("code.md5sum must be a string, got a \(other.typeName).")
        }
    }

    static func checkMD5(claimed: String?, package: FunctionPackage) throws {
        if let claimed, claimed != package.md5 {
            throw ServiceError.invalidInput("Package md5 mismatch: code.md5sum is \(claimed) but the uploaded package's md5 is \(package.md5).")
        }
    }
}
