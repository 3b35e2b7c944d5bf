import Foundation

/// Hands out host uids (used as uid and gid) from the operator's range, one per live
/// sandbox, so that no two sandboxes — and so no two projects — ever share an owner on the
/// host. A uid comes back when its sandbox is gone.
public final class HostIdentities: @unchecked Sendable {
    public let range: ClosedRange<UInt32>
    private let lock = NSLock()
    private var inUse: Set<UInt32> = []
    private var next: UInt32

    public init(range: ClosedRange<UInt32>) {
        self.range = range
        next = range.lowerBound
    }

    /// Root's range in /etc/subuid if it has one, else 65536 uids from 524288 (above the
    /// ranges useradd hands out).
    public static func defaultRange(subuidFile: String = "/etc/subuid") -> ClosedRange<UInt32> {
        if let text = try? String(contentsOfFile: subuidFile, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":")
                if parts.count == 3, parts[0] == "root", let start = UInt32(parts[1]), let count = UInt32(parts[2]), count > 0 {
                    return start...(start + count - 1)
                }
            }
        }
        return 524_288...(524_288 + 65_535)
    }

    public func acquire() throws(SandboxError) -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        guard inUse.count < range.count else { throw .noHostIdentity(range: range) }
        // Round-robin so that a uid is not reused right after its sandbox died.
        while inUse.contains(next) {
            next = next == range.upperBound ? range.lowerBound : next + 1
        }
        let uid = next
        inUse.insert(uid)
        next = next == range.upperBound ? range.lowerBound : next + 1
        return uid
    }

    public func release(_ uid: UInt32) {
        lock.lock()
        inUse.remove(uid)
        lock.unlock()
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return inUse.count
    }
}
