/// A request body that cannot be read, with a message that says what to fix. The API turns
/// it into a 400.
public struct BodyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
