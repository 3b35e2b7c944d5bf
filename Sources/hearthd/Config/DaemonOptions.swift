import ArgumentParser

/// The daemon's command-line flags. Each one wins over the same key in `--config`.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("JSON config file; flags win over its keys. Keys are listed in README.md.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Where the database and packages live (default: /var/lib/hearth as root, ~/.local/share/hearth otherwise).", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Unix socket path, or 'none' (default: /run/hearth/hearth.sock as root, <data-dir>/hearth.sock otherwise). Trusted: callers are admin.", valueName: "path"))
    var unix: String?

    @Option(help: ArgumentHelp("Group given to the Unix socket hearthd binds itself (mode 0660): its members may use the trusted socket (default: the daemon's own group).", valueName: "group"))
    var socketGroup: String?

    @Option(help: ArgumentHelp("TCP address HOST:PORT, or 'none' (default: 127.0.0.1:7070). Port 0 picks a free port. Requires X-Auth-Token.", valueName: "host:port"))
    var tcp: String?

    @Flag(help: "Development only: accept any token on TCP as admin of project 'default'.")
    var noAuth = false

    @Option(help: ArgumentHelp("Directory of runtime directories (default: ./runtimes, else <prefix>/share/hearth/runtimes).", valueName: "dir"))
    var runtimesDir: String?

    @Option(help: ArgumentHelp("Directory of seccomp profiles default.json and untrusted.json (default: ./sandbox-profiles, else <prefix>/share/hearth/sandbox-profiles).", valueName: "dir"))
    var profilesDir: String?

    @Option(help: ArgumentHelp("Generic workers kept warm per runtime (default: 3).", valueName: "n"))
    var poolCapacity: Int?

    @Option(help: ArgumentHelp("Workers of all runtimes together (default: 64).", valueName: "n"))
    var maxWorkers: Int?

    @Option(help: ArgumentHelp("Workers one function version may have at once (default: 4).", valueName: "n"))
    var workersPerFunction: Int?

    @Option(help: ArgumentHelp("Calls that may wait for one function version before more get 429 (default: 64).", valueName: "n"))
    var queuePerFunction: Int?

    @Option(help: ArgumentHelp("Seconds an idle specialised worker is kept (default: 3600).", valueName: "seconds"))
    var idleTtl: Double?

    @Option(help: ArgumentHelp("Largest function package accepted, in bytes (default: 52428800).", valueName: "bytes"))
    var maxPackageSize: Int?

    @Option(help: ArgumentHelp("Function cpu bounds in millicpu (default: 100:100:300).", valueName: "min:default:max"))
    var cpuLimits: String?

    @Option(help: ArgumentHelp("Function memory bounds in bytes (default: 33554432:33554432:134217728).", valueName: "min:default:max"))
    var memoryLimits: String?

    @Option(help: ArgumentHelp("Function timeout bounds in seconds (default: 1:5:300).", valueName: "min:default:max"))
    var timeoutLimits: String?

    @Option(help: ArgumentHelp("Base URL clients reach this daemon at, for webhook_url (default: the Host of each request).", valueName: "url"))
    var publicUrl: String?

    @Option(help: ArgumentHelp("Versions one function may have at once (default: 10).", valueName: "n"))
    var maxVersions: Int?

    @Option(help: ArgumentHelp("Seconds SIGTERM lets running calls finish before they are stopped; 0 stops them at once (default: 20, below the unit's TimeoutStopSec=30).", valueName: "seconds"))
    var drainSeconds: Double?

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default: info).", valueName: "level"))
    var logLevel: String?
}
