import Dispatch
import GRDB
import Synchronization

/// Copies the write-ahead log back into the database file in the background, soon after
/// each burst of commits.
///
/// SQLite's own automatic checkpoint runs inside whichever commit crosses its threshold, and
/// with `synchronous = NORMAL` a checkpoint waits for two fsyncs: about every 80th execution
/// waited milliseconds for the disk, which was most of the p99. The writer's automatic
/// checkpoint is therefore off and this runs PASSIVE checkpoints on a connection of its own,
/// which never block a write or a read. A checkpoint is also what puts commits on the disk
/// (NORMAL syncs the WAL only then), so one follows every commit within `delay`.
///
/// SQLite starts the WAL over only when a write begins with every frame checkpointed, which
/// a busy daemon's writes, arriving during the checkpoint, never do: past `restartFrames` a
/// RESTART checkpoint briefly holds writers back so that the file stops growing.
final class WALCheckpointer: TransactionObserver, Sendable {
    private let connection: DatabaseQueue
    private let delay: DispatchTimeInterval
    private let restartFrames: Int
    private let queue = DispatchQueue(label: "hearth.wal-checkpoint", qos: .utility)
    /// Whether a checkpoint is scheduled and not started yet: commits meanwhile need no other.
    private let scheduled = Mutex(false)
    private let closed = Mutex(false)

    init(path: String, delay: DispatchTimeInterval = .milliseconds(50), restartFrames: Int = 16_384) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "hearth.wal-checkpoint"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.delay = delay
        self.restartFrames = restartFrames
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidRollback(_ db: Database) {}

    func databaseDidCommit(_ db: Database) {
        let first = scheduled.withLock { pending in
            defer { pending = true }
            return !pending
        }
        guard first else { return }
        queue.asyncAfter(deadline: .now() + delay) { [self] in
            scheduled.withLock { $0 = false }
            checkpoint()
        }
    }

    private func checkpoint() {
        closed.withLock { isClosed in
            // A failure (a reader holding old frames, say) leaves the rest for the next one.
            guard !isClosed else { return }
            _ = try? connection.writeWithoutTransaction { db in
                if try db.checkpoint(.passive).walFrameCount > restartFrames {
                    _ = try db.checkpoint(.restart)
                }
            }
        }
    }

    /// Waits for a running checkpoint and closes the connection; later commits are left to
    /// SQLite, which checkpoints when the last connection closes.
    func close() {
        closed.withLock { isClosed in
            guard !isClosed else { return }
            isClosed = true
            try? connection.close()
        }
    }
}
