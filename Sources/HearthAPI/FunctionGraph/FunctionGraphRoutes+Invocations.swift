import Foundation
import HearthCore
import HearthServices
import HTTPTypes
import Hummingbird
import NIOCore

/// Sync and async invocation.
extension FunctionGraphRoutes {
    /// `POST …/invocations`: the v1 JSON envelope with `X-CFF-Request-Version: v1`, else the
    /// raw return value (v0). A function's own failure (raise, timeout, out of memory) is a
    /// 200 with `X-Is-Func-Err: true` and `status` 500, so SDK users still get its payload.
    func invoke(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let event = try await fg.event(limit: FunctionGraphLimits.syncBody)
        let tail = request.headers[.xCffLogType]?.lowercased() == "tail"
        let outcome = try await invocations.invoke(resolved, event: event, withLog: tail, by: caller)
        let v1 = request.headers[.xCffRequestVersion]?.lowercased() == "v1"
        let id = outcome.execution.id
        let result = Self.resultText(outcome)
        let log = Self.log(outcome, version: resolved.versionName, memoryMB: resolved.function.memorySize >> 20)
        let milliseconds = outcome.duration * 1000
        let billed = Int(milliseconds.rounded(.up))
        var headers: HTTPFields = [
            .xCffRequestID: id, .xRequestID: id, .xCffResponseVersion: v1 ? "v1" : "v0",
            .xCffBillingDuration: String(billed),
            .xCffInvokeSummary: JSONValue.object([
                "duration": .double((milliseconds * 1000).rounded() / 1000), "billingDuration": .int(Int64(billed)),
                "memorySize": .int(Int64(resolved.function.memorySize >> 20)),
            ]).serialized,
            .xIsFuncErr: outcome.failure == nil ? "false" : "true",
            .xFuncErrCode: outcome.failure == nil ? "0" : String(AsyncRecord.code(of: outcome.failure, status: outcome.execution.status)),
        ]
        if tail {
            headers[.xCffFunctionLog] = Data(Self.suffix(log, bytes: 2000).utf8).base64EncodedString()
        }
        guard v1 else {
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: result)))
        }
        let body: JSONValue = .object([
            "request_id": .string(id), "result": .string(result), "log": .string(tail ? Self.suffix(log, bytes: 4096) : ""),
            "status": .int(outcome.failure == nil ? 200 : 500),
        ])
        return .json(body, headers: headers)
    }

    /// `POST …/invocations-async` → 202 `{"request_id"}` once the execution is stored.
    func invokeAsync(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fg = FunctionGraphRequest(request: request, context: context)
        let (resolved, caller) = try await fg.resolve(functions)
        let event = try await fg.event(limit: FunctionGraphLimits.asyncBody)
        let id = try await invocations.invokeAsync(resolved, event: event, by: caller)
        return .json(.object(["request_id": .string(id), "requestId": .string(id)]), status: .accepted, headers: [.xRequestID: id])
    }

    /// The handler's return value as JSON text, or on failure FunctionGraph's
    /// `{"errorMessage", "errorType", "stackTrace"}` (the traceback is in the log).
    static func resultText(_ outcome: FunctionGraphInvocations.Outcome) -> String {
        guard let failure = outcome.failure else { return outcome.output.serialized }
        return JSONValue.object([
            "errorMessage": .string(outcome.output.stringValue ?? outcome.output.serialized),
            "errorType": .string(failure), "stackTrace": .array([]),
        ]).serialized
    }

    /// The log in FunctionGraph's `tail` format: Start line, the call's output, Finish line.
    static func log(_ outcome: FunctionGraphInvocations.Outcome, version: String, memoryMB: Int) -> String {
        let execution = outcome.execution
        let id = execution.id
        var text = "\(Timestamp.format(execution.createdAt)) Start invoke request '\(id)', version: \(version)\n"
        text += outcome.log
        if !outcome.log.isEmpty, !outcome.log.hasSuffix("\n") { text += "\n" }
        let milliseconds = outcome.duration * 1000
        text += "\(Timestamp.format(execution.updatedAt ?? Date())) Finish invoke request '\(id)'\(outcome.failure == nil ? "" : "(invoke Failed)"), "
        text += String(format: "duration: %.3fms, billing duration: %dms, billing memory: %dMB", milliseconds, Int(milliseconds.rounded(.up)), memoryMB)
        return text
    }

    /// The last `bytes` bytes of `text`, cut at a character boundary.
    static func suffix(_ text: String, bytes: Int) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.count > bytes else { return text }
        var start = utf8.count - bytes
        while start < utf8.count, utf8[start] & 0xC0 == 0x80 { start += 1 }
        return String(decoding: utf8[start...], as: UTF8.self)
    }
}

extension HTTPField.Name {
    static let xCffLogType = Self("X-Cff-Log-Type")!
    static let xCffRequestVersion = Self("X-CFF-Request-Version")!
    static let xCffRequestID = Self("X-Cff-Request-Id")!
    static let xCffResponseVersion = Self("X-Cff-Response-Version")!
    static let xCffBillingDuration = Self("X-CFF-Billing-Duration")!
    static let xCffInvokeSummary = Self("X-Cff-Invoke-Summary")!
    static let xCffFunctionLog = Self("X-Cff-Function-Log")!
    static let xIsFuncErr = Self("X-Is-Func-Err")!
    static let xFuncErrCode = Self("X-Func-Err-Code")!
}
