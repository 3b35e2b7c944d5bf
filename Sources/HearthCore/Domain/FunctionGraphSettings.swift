import Foundation

/// What a function has on the FunctionGraph face beyond the Qinling fields: its package (group),
/// the runtime name it was created with, its user data (environment) and how it is called.
/// Functions created through the Qinling API have none; they read as package `default`.
public struct FunctionGraphSettings: Codable, Sendable, Equatable {
    public var functionID: String
    public var package: String
    /// The FunctionGraph runtime name as given (`Python3.9`); the Hearth runtime is the function's.
    public var runtime: String
    /// `user_data`: a JSON object of environment variables, as the JSON text the caller sent.
    public var userData: String?
    public var codeType: String
    public var codeFilename: String?
    /// `strategy_config.concurrency`: 0 disables the function, -1 (or nil) is unlimited.
    public var concurrency: Int?
    public var updatedAt: Date

    public init(
        functionID: String, package: String, runtime: String, userData: String?, codeType: String,
        codeFilename: String?, concurrency: Int?, updatedAt: Date
    ) {
        self.functionID = functionID
        self.package = package
        self.runtime = runtime
        self.userData = userData
        self.codeType = codeType
        self.codeFilename = codeFilename
        self.concurrency = concurrency
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case package, runtime, concurrency
        case functionID = "function_id"
        case userData = "user_data"
        case codeType = "code_type"
        case codeFilename = "code_filename"
        case updatedAt = "updated_at"
    }
}

/// `async-invoke-config` of a function: retries of platform failures, the oldest an event
/// may be when it starts, and where results go.
public struct AsyncInvokeConfig: Codable, Sendable, Equatable {
    public var functionID: String
    public var maxAsyncEventAgeInSeconds: Int
    public var maxAsyncRetryAttempts: Int
    public var enableAsyncStatusLog: Bool
    /// `destination_config.on_success` / `on_failure` as JSON text, or nil.
    public var onSuccess: String?
    public var onFailure: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        functionID: String, maxAsyncEventAgeInSeconds: Int, maxAsyncRetryAttempts: Int, enableAsyncStatusLog: Bool,
        onSuccess: String?, onFailure: String?, createdAt: Date, updatedAt: Date
    ) {
        self.functionID = functionID
        self.maxAsyncEventAgeInSeconds = maxAsyncEventAgeInSeconds
        self.maxAsyncRetryAttempts = maxAsyncRetryAttempts
        self.enableAsyncStatusLog = enableAsyncStatusLog
        self.onSuccess = onSuccess
        self.onFailure = onFailure
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case functionID = "function_id"
        case maxAsyncEventAgeInSeconds = "max_async_event_age_in_seconds"
        case maxAsyncRetryAttempts = "max_async_retry_attempts"
        case enableAsyncStatusLog = "enable_async_status_log"
        case onSuccess = "on_success"
        case onFailure = "on_failure"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
