import Foundation
import HearthCore
import HearthServices
import Hummingbird
import NIOCore

/// What every FunctionGraph route needs from a request: the caller acting in the path's
/// project, the function its URN names, and its JSON body.
struct FunctionGraphRequest {
    let request: Request
    let context: HearthRequestContext

    /// The caller, acting in the project of the path. A member credential or token must
    /// belong to that project; trusted and admin callers may act in any.
    func caller() throws -> Caller {
        let caller = try context.requireCaller()
        let project = try projectID()
        guard caller.isAdmin || caller.projectID == project else {
            throw FunctionGraphError(.forbidden, "FSS.0403", "Forbidden: the credential belongs to project '\(caller.projectID)', not '\(project)'.")
        }
        return Caller(projectID: project, isAdmin: caller.isAdmin)
    }

    func projectID() throws -> String {
        let project = context.parameters.get("project_id")?.removingPercentEncoding ?? ""
        guard !project.isEmpty, project.count <= 64, project.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) else {
            throw FunctionGraphError.init(.badRequest, "FSS.0400", "Invalid project id '\(project)' in the path.")
        }
        return project
    }

    /// The `{urn}` segment, percent-decoded (the SDK encodes `:` and `!`, hand-written clients do not).
    func urn() throws -> FunctionURN {
        let raw = context.parameters.get("urn") ?? ""
        guard let text = raw.removingPercentEncoding else {
            throw FunctionGraphError(.badRequest, "FSS.1309", "Invalid function URN '\(raw)': malformed percent-encoding.")
        }
        return try FunctionURN(parsing: text)
    }

    /// The function (and version) the path's URN names.
    func resolve(_ functions: FunctionGraphFunctions) async throws -> (ResolvedFunction, Caller) {
        let caller = try caller()
        return (try await functions.resolve(try urn(), project: caller.projectID), caller)
    }

    /// The body, at most `limit` bytes.
    func body(limit: Int) async throws -> [UInt8] {
        do {
            var request = request
            return Array(try await request.collectBody(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw FunctionGraphError(.tooLarge, "FSS.0413", "The request body is too large: at most \(limit) bytes are accepted here.")
        }
    }

    /// A JSON object body as fields (empty body: none).
    func fields(limit: Int) async throws -> RequestFields {
        do {
            return try BodyReader.json(try await body(limit: limit))
        } catch let error as APIError {
            throw FunctionGraphError(.badRequest, "FSS.0400", error.message)
        }
    }

    /// An event: any JSON document; an empty body is `{}` (the SDK sends nothing for `body=None`).
    func event(limit: Int) async throws -> JSONValue {
        let bytes = try await body(limit: limit)
        if bytes.allSatisfy(JSONValue.isWhitespace) { return .object([]) }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw FunctionGraphError(.badRequest, "FSS.0400", "The request body must be JSON (the event passed to the handler): \(error).")
        }
    }
}
