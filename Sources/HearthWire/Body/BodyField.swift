import HearthCore

/// One field of a request body, whichever way it was sent.
public enum BodyField: Sendable, Equatable {
    /// A member of a JSON object body.
    case json(JSONValue)
    /// A form field or a multipart part without a file name.
    case text(String)
    /// A multipart part with its raw bytes (files, and parts that are not UTF-8).
    case part(bytes: [UInt8], filename: String?)
}
