import Foundation
import HearthCore

/// An alias as the FunctionGraph face shows it: a Qinling alias of one function, with the
/// FunctionGraph name of its version.
public struct FunctionGraphAlias: Sendable {
    public var name: String
    public var version: String
    public var description: String
    public var lastModified: Date
    public var urn: String
}
