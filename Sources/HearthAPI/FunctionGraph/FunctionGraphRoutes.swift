import Foundation
import HearthCore
import HearthServices
import Hummingbird
import HummingbirdCore
import NIOCore

/// `/v2/{project_id}/fgs`: the FunctionGraph face. Functions, invocations and async records
/// here are the same functions and executions the Qinling routes show.
struct FunctionGraphRoutes {
    let hearth: Hearth
    var functions: FunctionGraphFunctions { hearth.functionGraph.functions }
    var invocations: FunctionGraphInvocations { hearth.functionGraph.invocations }
    var bodyLimit: Int { FunctionGraphLimits.body(forPath: "", maxPackageSize: hearth.settings.maxPackageSize) }

    static let prefix = "/v2/{project_id}/fgs/functions"

    func register(on table: RouteTable) {
        let function = Self.prefix + "/{urn}"
        table.path(Self.prefix, [.get: list, .post: create])
        table.path(function, [.delete: delete])
        table.path(function + "/config", [.get: showConfig, .put: updateConfig])
        table.path(function + "/code", [.get: showCode, .put: updateCode])
        table.path(function + "/invocations", [.post: invoke])
        table.path(function + "/invocations-async", [.post: invokeAsync])
        table.path(function + "/async-invocations", [.get: asyncRecords])
        table.path(function + "/active-async-invocations", [.get: activeAsyncRecords])
        table.path(function + "/cancel", [.post: cancel])
        table.path(function + "/async-invoke-config", [.get: showAsyncConfig, .put: updateAsyncConfig, .delete: deleteAsyncConfig])
        registerVersions(on: table)
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let caller = try fg.caller()
        let created = try await functions.create(try await Self.draft(try await fg.fields(limit: bodyLimit)), by: caller)
        return .json(created.json())
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let caller = try FunctionGraphRequest(request: request, context: context).caller()
        let query = request.uri.queryParameters
        let (marker, maxItems) = try Self.page(query)
        let package = query["package_name"].flatMap { $0.isEmpty ? nil : String($0) }
        let name = query["func_name"].flatMap { $0.isEmpty ? nil : String($0) }
        let page = try await functions.list(by: caller, marker: marker, maxItems: maxItems, package: package, name: name)
        return .json(.object([
            "functions": .array(page.items.map { $0.json(qualifiedURN: false) }),
            "next_marker": .int(Int64(page.nextMarker)), "count": .int(Int64(page.count)),
        ]))
    }

    func showConfig(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        return .json(try await functions.view(resolved).json())
    }

    func updateConfig(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let updated = try await functions.updateConfig(resolved, try await Self.draft(try await fg.fields(limit: bodyLimit)), by: caller)
        return .json(updated.json())
    }

    func showCode(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        return .json(try await functions.view(resolved).codeJSON(zip: try functions.package(of: resolved.function)))
    }

    func updateCode(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let updated = try await functions.updateCode(resolved, try await Self.draft(try await fg.fields(limit: bodyLimit)), by: caller)
        let zip = try functions.package(of: updated.function)
        return .json(updated.codeJSON(zip: zip))
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, caller) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        try await hearth.functionGraph.versions.delete(resolved, by: caller)
        return .empty(.noContent)
    }

    /// The fields of a create or update body; every one is optional here, the service says which are required.
    static func draft(_ fields: RequestFields) async throws -> FunctionGraphFunctionDraft {
        do {
            return FunctionGraphFunctionDraft(
                funcName: try fields.string("func_name"), package: try fields.string("package"), runtime: try fields.string("runtime"),
                handler: try fields.string("handler"), memorySize: try fields.int("memory_size"), timeout: try fields.int("timeout"),
                codeType: try fields.string("code_type"), codeFilename: try fields.string("code_filename"),
                codeFile: try codeFile(fields), userData: try fields.string("user_data"), description: try fields.string("description"),
                concurrency: try concurrency(fields)
            )
        } catch let error as APIError {
            throw FunctionGraphError(.badRequest, "FSS.0400", error.message)
        }
    }

    static func codeFile(_ fields: RequestFields) throws -> String? {
        guard let code = try fields.object("func_code") else { return nil }
        switch code["file"] {
        case nil, .null?: return nil
        case .string(let file)?: return file
        case let other?: throw APIError.badRequest("func_code.file must be a base64 string, got a \(other.typeName).")
        }
    }

    static func concurrency(_ fields: RequestFields) throws -> Int? {
        guard let strategy = try fields.object("strategy_config") else { return nil }
        switch strategy["concurrency"] {
        case nil, .null?: return nil
        case .int(let value)?: return Int(exactly: value)
        case let other?: throw APIError.badRequest("strategy_config.concurrency must be an integer, got a \(other.typeName).")
        }
    }

    /// `marker` (an offset) and `maxitems` (at most 400; 0 or absent is 400) of a list.
    static func page(_ query: FlatDictionary<Substring, Substring>) throws -> (marker: Int, maxItems: Int) {
        let marker = try count(query["marker"], "marker", default: 0, max: Int.max)
        let maxItems = try count(query["maxitems"], "maxitems", default: 400, max: 400)
        return (marker, maxItems == 0 ? 400 : maxItems)
    }

    /// A non-negative integer query parameter (the SDK sends them as strings).
    static func count(_ value: Substring?, _ name: String, default fallback: Int, max: Int) throws -> Int {
        guard let value, !value.isEmpty else { return fallback }
        guard let number = Int(value), number >= 0, number <= max else {
            throw FunctionGraphError(.badRequest, "FSS.1001", "Invalid query parameter \(name)='\(value)': use an integer from 0 to \(max).")
        }
        return number
    }
}
