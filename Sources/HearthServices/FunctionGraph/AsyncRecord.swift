import Foundation
import HearthCore
import HearthStore

/// An async execution as FunctionGraph's record lists show it: WAIT/RUNNING/SUCCESS/FAIL/DISCARD
/// are a view of the execution's Qinling status and the reason in its result.
public struct AsyncRecord: Sendable {
    public var requestID: String
    public var status: String
    public var errorMessage: String
    public var errorCode: Int
    public var startTime: Date
    public var endTime: Date?

    /// The record-list code of a cancelled invocation (FunctionGraph's `4208 function invocation canceled`).
    public static let cancelledCode = 4208
    public static let cancelledMessage = "function invocation canceled"

    init(_ execution: Execution) {
        requestID = execution.id
        startTime = execution.startedAt ?? execution.createdAt
        endTime = execution.status == .running ? nil : execution.updatedAt
        let result = execution.result.flatMap { try? JSONValue.parse($0) }
        let error = result?["error"]?.stringValue
        let output = result?["output"].map { $0.stringValue ?? $0.serialized } ?? ""
        switch (execution.status, error) {
        case (.running, _):
            (status, errorMessage, errorCode) = (execution.startedAt == nil ? "WAIT" : "RUNNING", "", 0)
        case (.success, _):
            (status, errorMessage, errorCode) = ("SUCCESS", "", 0)
        case (_, "discarded"?):
            (status, errorMessage, errorCode) = ("DISCARD", output, 0)
        case (_, let error):
            (status, errorMessage, errorCode) = ("FAIL", output, Self.code(of: error, status: execution.status))
        }
    }

    /// A non-zero code per failure kind; the cancel code is FunctionGraph's, the others follow
    /// the HTTP codes of the same conditions.
    public static func code(of error: String?, status: Execution.Status) -> Int {
        switch error {
        case "error": return 500
        case "canceled": return cancelledCode
        case "timeout": return 408
        case "out_of_memory", "crashed", "protocol_error": return 500
        case nil where status == .error: return 500
        default: return 1
        }
    }

    /// `WAIT`, `RUNNING`, … as a store filter state.
    public static func state(named status: String) -> AsyncRecordFilter.State? {
        switch status {
        case "WAIT": return .waiting
        case "RUNNING": return .running
        case "SUCCESS": return .succeeded
        case "FAIL": return .failed
        case "DISCARD": return .discarded
        default: return nil
        }
    }
}
