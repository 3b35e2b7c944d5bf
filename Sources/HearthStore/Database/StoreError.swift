/// What can go wrong in the store that a caller can act on.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    /// A uniqueness constraint refused the write; `columns` names it.
    case duplicate(table: String, columns: [String])
    /// A foreign key refused the write: another row still refers to the one being removed,
    /// or the row referred to no longer exists.
    case stillReferenced
    case packageIO(path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open the store in \(path): \(reason)"
        case let .duplicate(table, columns): return "Duplicate entry for \(table): \(columns)"
        case .stillReferenced: return "another resource still refers to this one"
        case let .packageIO(path, errno): return "package file \(path): \(String(cString: strerror(errno)))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
