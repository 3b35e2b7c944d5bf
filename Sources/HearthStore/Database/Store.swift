import Dispatch
import Foundation
import GRDB
import HearthCore

/// The persistent state of one Hearth data directory: a SQLite database in WAL mode
/// (`hearth.sqlite`) and the function packages beside it (`packages/`).
///
/// Readers run concurrently; writes are serialised by SQLite, which is what keeps the
/// compare-and-swap updates of counters and schedules correct without extra locks.
public final class Store: Sendable {
    let db: DatabasePool
    let checkpointer: WALCheckpointer
    let definitions = DefinitionCache()
    let finishedExecutions: FinishedExecutions
    public let packages: PackageStore
    public let directory: URL

    /// Opens (creating if needed) the store in `directory` and migrates it to the current schema.
    /// `gathering`: how long a finished sync execution waits for others to share its commit.
    public init(directory: URL, gathering: DispatchTimeInterval = .milliseconds(2)) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Every project's inputs, results, logs and code live here: the daemon's alone, also
        // when an older version or a hand-made directory left it open.
        try PrivateFiles.restrict(directory.path, mode: 0o700)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // In WAL mode NORMAL keeps every commit across a crash or kill -9 of the daemon (the
            // WAL is in the page cache); only the last commits can be lost to a power cut. FULL
            // would add an fsync to every execution, most of a warm call's cost.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Checkpoints run in the background (WALCheckpointer), never inside a commit.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        let path = directory.appendingPathComponent("hearth.sqlite").path
        do {
            db = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(db)
            checkpointer = try WALCheckpointer(path: path)
            db.add(transactionObserver: checkpointer, extent: .databaseLifetime)
            db.add(transactionObserver: definitions, extent: .databaseLifetime)
            finishedExecutions = FinishedExecutions(writer: db, gathering: gathering)
            for file in [path, path + "-wal", path + "-shm"] { try PrivateFiles.restrict(file, mode: 0o600, ifExists: true) }
        } catch {
            throw StoreError.cannotOpen(path: directory.path, reason: "\(error)")
        }
        packages = try PackageStore(directory: directory.appendingPathComponent("packages"))
    }

    /// Stores the sync executions still on their way in, then closes the database; later
    /// calls fail.
    public func close() throws {
        finishedExecutions.flushNow()
        checkpointer.close()
        try db.close()
    }
}
