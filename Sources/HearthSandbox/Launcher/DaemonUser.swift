import CSandbox
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The unprivileged system user the daemon proper runs as (DESIGN.md invariant 6). hearthd,
/// started as root, starts hearth-launcher, then hands its data to this user and becomes it,
/// before it opens the store or listens: the process that parses what the network sends
/// holds no root, no capability, and no way back to either.
public struct DaemonUser: Sendable {
    public static let name = "hearth"
    public let uid: uid_t
    public let gid: gid_t

    /// The `hearth` user, made if it is missing: a system account with its own group, no home
    /// and no login shell (`useradd --system --user-group --no-create-home --shell
    /// /usr/sbin/nologin`). An existing one is used as it is, whatever its uid.
    public static func ensure() throws(SandboxError) -> DaemonUser {
        if let user = lookUp() { return user }
        let arguments = ["/usr/sbin/useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                         "--shell", "/usr/sbin/nologin", "--comment", "Hearth daemon", name]
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, arguments[0], nil, nil, argv, environ)
        if rc == 0 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        // Another hearthd may have made it meanwhile (useradd then fails): look again either way.
        guard let user = lookUp() else {
            throw .launcher(problem: "there is no '\(name)' user and `\(arguments.joined(separator: " "))` did not make one; create it, or run hearthd as an ordinary user without sandboxes")
        }
        return user
    }

    static func lookUp() -> DaemonUser? {
        guard let entry = getpwnam(name) else { return nil }
        return DaemonUser(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// Fails, saying which directory is in the way, when the user cannot reach `path`: every
    /// directory above it must be searchable by it (a data directory under root's 0700 home,
    /// say, is not).
    public func checkReachable(_ path: String, what: String) throws(SandboxError) {
        var current = (URL(fileURLWithPath: path).standardizedFileURL.path as NSString).deletingLastPathComponent
        while !current.isEmpty {
            var info = stat()
            if stat(current, &info) == 0 {
                let mode = info.st_mode
                let searchable = mode & S_IXOTH != 0 || (info.st_uid == uid && mode & S_IXUSR != 0) || (info.st_gid == gid && mode & S_IXGRP != 0)
                guard searchable else {
                    throw .launcher(problem: "\(what) \(path) is out of reach of user \(Self.name), which hearthd runs as: \(current) is not searchable by it (o+x); choose a path it can reach")
                }
            }
            if current == "/" { break }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    /// Makes `directory` and everything in it the user's, never following a symlink.
    public func own(_ directory: String) throws(SandboxError) {
        let rc = hearth_chown_tree(directory, uid, gid)
        guard rc == 0 else { throw .launcher(problem: "cannot give \(directory) to user \(Self.name): \(String(cString: strerror(-rc)))") }
    }

    /// A directory the user must create its socket in but that holds root's things too
    /// (/run/hearth: the launcher's uid locks and the sandboxes' root mountpoint): root's, group
    /// `hearth`, writable by the group and sticky, so the daemon can make and remove its own
    /// socket and cannot rename or remove what is not its own.
    public func share(_ directory: String) throws(SandboxError) {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .launcher(problem: "cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        guard chown(directory, 0, gid) == 0, chmod(directory, 0o1775) == 0 else {
            throw .launcher(problem: "cannot give group \(Self.name) the socket directory \(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// Becomes the user for good, every thread of the process (hearth_become), and checks that
    /// root cannot be had back.
    public func become() throws(SandboxError) {
        let rc = hearth_become(uid, gid)
        guard rc == 0 else {
            throw .launcher(problem: rc == -EPERM ? "dropped to user \(Self.name) but root could be regained; refusing to go on"
                                                  : "cannot become user \(Self.name): \(String(cString: strerror(-rc)))")
        }
    }

    /// For `hearthd token|credential` run as root on a data directory the daemon owns: become
    /// that directory's owner first, so that the files SQLite creates (WAL, shared memory) are
    /// ones the daemon can open. Does nothing when not root or when root owns the directory.
    public static func becomeOwner(of directory: String) throws(SandboxError) {
        guard geteuid() == 0 else { return }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_uid != 0 else { return }
        let owner = DaemonUser(uid: info.st_uid, gid: info.st_gid)
        try owner.become()
    }
}
