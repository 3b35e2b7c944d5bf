import Foundation
import HearthCore
import HearthServices
import HearthStore
import HearthWire
import Hummingbird
import HummingbirdCore
import NIOCore

/// Async records, cancel and `async-invoke-config`.
extension FunctionGraphRoutes {
    var asyncConfigs: AsyncInvokeConfigs { hearth.functionGraph.asyncConfigs }

    func asyncRecords(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await records(request, context, active: false)
    }

    /// The same list, of `WAIT` and `RUNNING` invocations unless `status` asks otherwise.
    func activeAsyncRecords(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await records(request, context, active: true)
    }

    func records(_ request: Request, _ context: HearthRequestContext, active: Bool) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        let filter = try Self.recordFilter(request.uri.queryParameters, active: active)
        let (records, count) = try await invocations.records(resolved, filter: filter)
        return .json(.object([
            "invocations": .array(records.map { $0.json }), "count": .int(Int64(count)),
            "next_marker": .int(Int64(filter.offset + records.count)),
        ]))
    }

    /// `marker`, `limit` (≤ 500, default 100), `status`, `request_id` (or `requests`, up to 10,
    /// for active records), and the window `query_begin_time`…`query_end_time` (default: the last hour).
    static func recordFilter(_ query: FlatDictionary<Substring, Substring>, active: Bool) throws -> AsyncRecordFilter {
        let marker = try count(query["marker"], "marker", default: 0, max: Int.max)
        let limit = try count(query["limit"], "limit", default: 100, max: 500)
        var states: [AsyncRecordFilter.State] = active ? [.waiting, .running] : []
        if let status = query["status"], !status.isEmpty {
            guard let state = AsyncRecord.state(named: String(status)) else {
                throw FunctionGraphError(.badRequest, "FSS.1001", "Invalid query parameter status='\(status)': use WAIT, RUNNING, SUCCESS, FAIL or DISCARD.")
            }
            states = [state]
        }
        var ids: [String] = []
        if let id = query["request_id"], !id.isEmpty { ids = [String(id)] }
        if active, let requests = query["requests"], !requests.isEmpty {
            ids = requests.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard ids.count <= 10, requests.count <= 640 else {
                throw FunctionGraphError(.badRequest, "FSS.1001", "Invalid query parameter requests: at most 10 request ids (640 characters).")
            }
        }
        let now = Date()
        let end = try time(query["query_end_time"], "query_end_time") ?? now
        let begin = try time(query["query_begin_time"], "query_begin_time") ?? end.addingTimeInterval(-3600)
        guard begin <= end else {
            throw FunctionGraphError(.badRequest, "FSS.1001", "Invalid query: query_begin_time is after query_end_time.")
        }
        return AsyncRecordFilter(functionID: "", requestIDs: ids, states: states, begin: begin, end: end, offset: marker, limit: limit == 0 ? 100 : limit)
    }

    static func time(_ value: Substring?, _ name: String) throws -> Date? {
        guard let value, !value.isEmpty else { return nil }
        guard let date = FunctionGraphTime.parse(String(value)) else {
            throw FunctionGraphError(.badRequest, "FSS.1001", "Invalid query parameter \(name)='\(value)': use YYYY-MM-DDTHH:MM:SS (UTC).")
        }
        return date
    }

    /// `POST …/cancel {"request_id"}` → 200 `null`.
    func cancel(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let fields = try await fg.fields(limit: APILimits.smallBody)
        guard case .json(.string(let id))? = fields["request_id"], !id.isEmpty else {
            throw FunctionGraphError(.badRequest, "FSS.0400", "Invalid RequestId: send {\"request_id\": \"…\"}.")
        }
        try await invocations.cancel(resolved, requestID: id, by: caller)
        return .json(.null)
    }

    func showAsyncConfig(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        return .json(try await asyncConfigs.show(resolved).json(urn: try await functions.view(resolved).urn(qualified: true)))
    }

    func updateAsyncConfig(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let fields = try await fg.fields(limit: APILimits.smallBody)
        let draft: AsyncInvokeConfigs.Draft
        do {
            let destinations = try fields.object("destination_config")
            draft = AsyncInvokeConfigs.Draft(
                maxAge: try fields.int("max_async_event_age_in_seconds"), maxRetries: try fields.int("max_async_retry_attempts"),
                enableStatusLog: try fields.bool("enable_async_status_log"),
                onSuccess: destinations?["on_success"], onFailure: destinations?["on_failure"]
            )
        } catch let error as APIError {
            throw FunctionGraphError(.badRequest, "FSS.0400", error.message)
        }
        let config = try await asyncConfigs.update(resolved, draft, by: caller)
        return .json(config.json(urn: try await functions.view(resolved).urn(qualified: true)))
    }

    func deleteAsyncConfig(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (resolved, _) = try await FunctionGraphRequest(request: request, context: context).resolve(functions)
        try await asyncConfigs.delete(resolved)
        return .empty(.noContent)
    }
}
