import GRDB

extension Store {
    /// Runs a write transaction, turning constraint failures into `StoreError`s that say
    /// which rule the write broke.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await db.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw Self.constraintError(error)
        }
    }

    /// A write transaction run on the calling thread, for the few short writes on an
    /// execution's path: GRDB's async `write` hops to its writer queue and back, two thread
    /// wake-ups that cost more than the write. Blocks at most while another write runs; no
    /// write ever waits on the disk (see `WALCheckpointer`).
    func writeNow<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try db.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw Self.constraintError(error)
        }
    }

    /// A read on the calling thread, for the few reads on every call's path; the same hops
    /// as `writeNow` saved. Waits only if every reader connection is busy.
    func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try db.read(body)
    }

    static func constraintError(_ error: DatabaseError) -> any Error {
        let message = error.message ?? ""
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            // "UNIQUE constraint failed: function_aliases.project_id, function_aliases.name"
            let detail = message.split(separator: ":", maxSplits: 1).last.map(String.init) ?? ""
            let qualified = detail.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let table = qualified.first?.split(separator: ".").first.map(String.init) ?? "unknown"
            let columns = qualified.compactMap { $0.split(separator: ".").last.map(String.init) }
            return StoreError.duplicate(table: table, columns: columns)
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return StoreError.stillReferenced
        default:
            // A RESTRICT action fails with the plain code; only the message tells it apart.
            return message.contains("FOREIGN KEY") ? StoreError.stillReferenced : error
        }
    }
}

import Foundation
