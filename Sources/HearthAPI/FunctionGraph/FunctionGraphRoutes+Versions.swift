import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird

/// Versions and aliases.
extension FunctionGraphRoutes {
    var versions: FunctionGraphVersions { hearth.functionGraph.versions }

    func registerVersions(on table: RouteTable) {
        let function = Self.prefix + "/{urn}"
        table.path(function + "/versions", [.get: listVersions, .post: publishVersion])
        table.path(function + "/aliases", [.get: listAliases, .post: createAlias])
        table.path(function + "/aliases/{alias_name}", [.get: showAlias, .put: updateAlias, .delete: deleteAlias])
    }

    func publishVersion(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let fields = try await fg.fields(limit: APILimits.smallBody)
        let published = try await Self.fieldErrors {
            try await versions.publish(
                resolved, name: try fields.string("version"), description: try fields.string("description"),
                digest: try fields.string("digest"), by: caller
            )
        }
        return .json(published.json())
    }

    func listVersions(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        let (marker, maxItems) = try Self.page(request.uri.queryParameters)
        let page = try await versions.list(resolved, marker: marker, maxItems: maxItems)
        return .json(.object([
            "versions": .array(page.items.map { $0.json(qualifiedURN: false) }),
            "next_marker": .int(Int64(page.nextMarker)), "count": .int(Int64(page.count)),
        ]))
    }

    func createAlias(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let fields = try await fg.fields(limit: APILimits.smallBody)
        let alias = try await Self.fieldErrors {
            try await versions.createAlias(
                resolved, name: try fields.string("name"), version: try fields.string("version"),
                description: try fields.string("description"), weightsGiven: Self.shiftsTraffic(fields), by: caller
            )
        }
        return .json(alias.json)
    }

    /// A bare JSON array, as the SDK's `ListVersionAliasesResponse` expects.
    func listAliases(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        return .json(.array(try await versions.listAliases(resolved).map(\.json)))
    }

    func showAlias(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        return .json(try await versions.showAlias(resolved, name: try Self.aliasName(context)).json)
    }

    func updateAlias(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let fields = try await fg.fields(limit: APILimits.smallBody)
        let alias = try await Self.fieldErrors {
            try await versions.updateAlias(
                resolved, name: try Self.aliasName(context), version: try fields.string("version"),
                description: try fields.string("description"), weightsGiven: Self.shiftsTraffic(fields), by: caller
            )
        }
        return .json(alias.json)
    }

    func deleteAlias(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, caller) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        try await versions.deleteAlias(resolved, name: try Self.aliasName(context), by: caller)
        return .empty(.noContent)
    }

    static func aliasName(_ context: HearthRequestContext) throws -> String {
        let raw = context.parameters.get("alias_name") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// Traffic shifting (a second version by weight or by rule) was asked for.
    static func shiftsTraffic(_ fields: RequestFields) -> Bool {
        ["additional_version_weights", "additional_version_strategy"].contains { name in
            switch fields.json(name) {
            case nil, .null?: return false
            case .object(let members)?: return !members.isEmpty
            default: return true
            }
        }
    }

    /// Runs `body`, turning a field of the wrong type into FunctionGraph's 400.
    static func fieldErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as APIError {
            throw FunctionGraphError(.badRequest, "FSS.0400", error.message)
        }
    }
}

extension FunctionGraphAlias {
    var json: JSONValue {
        .object([
            "name": .string(name), "version": .string(version), "description": .string(description),
            "last_modified": .string(FunctionGraphTime.modified(lastModified)), "alias_urn": .string(urn),
            "additional_version_weights": .object([]), "additional_version_strategy": .object([]),
        ])
    }
}
