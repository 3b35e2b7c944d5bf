// hearth-bench: what the sandbox and the pool cost, each next to a baseline measured in the
// same run on the same machine, so that the numbers read as ratios. Run as root from the
// repository (it reads runtimes/ and sandbox-profiles/). Prints a table, then one JSON line.
import Foundation
import HearthCore
import HearthPool
import HearthSandbox
import Logging

#if canImport(Glibc)
import Glibc
#endif

let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : FileManager.default.currentDirectoryPath)
var results: [(key: String, value: JSONValue)] = []

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}
@MainActor func report(_ name: String, _ value: Double, unit: String, baseline: Double? = nil, baselineName: String? = nil) {
    var line = "\(name.padding(toLength: 52, withPad: " ", startingAt: 0)) \(String(format: "%10.3f", value)) \(unit)"
    if let baseline, let baselineName {
        line += "   baseline \(baselineName): \(String(format: "%.3f", baseline)) \(unit) (ratio \(String(format: "%.2f", value / baseline)))"
        results.append((name, .object(["value": .double(value), "unit": .string(unit), "baseline": .double(baseline), "baseline_name": .string(baselineName)])))
    } else {
        results.append((name, .object(["value": .double(value), "unit": .string(unit)])))
    }
    print(line)
}

/// posix_spawn + waitpid of a command, the cheapest way to run a program.
func plainSpawn(_ arguments: [String]) {
    var pid: pid_t = 0
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, arguments[0], nil, nil, argv, environ) == 0 else { fatalError("posix_spawn \(arguments)") }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

let clock = ContinuousClock()
let profile = try SeccompProfile.load(file: root.appendingPathComponent("sandbox-profiles/default.json"))
let sandbox = try Sandbox()
let (binds, symlinks) = SandboxSpec.systemBinds()
var trueSpec = SandboxSpec(executable: "/bin/true", arguments: [], environment: [], binds: binds, symlinks: symlinks, rlimits: [],
                           cgroup: CgroupLimits(memory: 64 << 20, pids: 16, millicpu: 1000), profile: profile)
trueSpec.codeDirectory = nil

// 1. Sandboxes per second for /bin/true, against posix_spawn of /bin/true.
let spawns = 100
var started = clock.now
var spawnOnly: [Double] = []
for _ in 0..<spawns {
    let t0 = clock.now
    let process = try sandbox.spawn(trueSpec)
    spawnOnly.append(seconds(clock.now - t0) * 1000)
    _ = await process.reap()
}
let sandboxRate = Double(spawns) / seconds(clock.now - started)
report("sandbox set-up until execve (median)", percentile(spawnOnly, 0.5), unit: "ms")
started = clock.now
for _ in 0..<spawns { plainSpawn(["/bin/true"]) }
let plainRate = Double(spawns) / seconds(clock.now - started)
report("sandbox spawn+exit /bin/true", sandboxRate, unit: "per s", baseline: plainRate, baselineName: "posix_spawn")

// 2. A fresh python3 worker ready (sandbox, interpreter start, pre-imports, hello).
let python = WorkerTemplate(runtimeID: "bench-python", runtimeName: "python3", directory: root.appendingPathComponent("runtimes/python3"),
                            command: ["/usr/bin/python3", "-I", "-S", "-u", "worker.py"], trusted: true, descriptors: true)
let logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    return logger
}()
let profiles = WorkerPool.Profiles(trusted: profile, untrusted: profile)
/// Milliseconds for a fresh python3 worker to say hello, ten times, on `sandbox`.
func workerReadyTimes(on sandbox: Sandbox) async throws -> [Double] {
    var times: [Double] = []
    for _ in 0..<10 {
        let pool = WorkerPool(sandbox: sandbox, profiles: profiles, settings: PoolSettings(capacity: 1), logger: logger)
        let t0 = clock.now
        try await pool.warm(python)
        times.append(seconds(clock.now - t0) * 1000)
        await pool.shutdown()
    }
    return times
}
let readyTimes = try await workerReadyTimes(on: sandbox)
var passTimes: [Double] = []
for _ in 0..<10 {
    let t0 = clock.now
    plainSpawn(["/usr/bin/python3", "-I", "-S", "-c", "pass"])
    passTimes.append(seconds(clock.now - t0) * 1000)
}
report("python3 worker ready (median)", percentile(readyTimes, 0.5), unit: "ms", baseline: percentile(passTimes, 0.5), baselineName: "python3 -I -S -c pass")

// 3. First call of a function on an idle generic worker (specialise + call) and warm calls.
let pool = WorkerPool(sandbox: sandbox, profiles: profiles, settings: PoolSettings(capacity: 4, perFunctionWorkers: 1), logger: logger)
try await pool.warm(python)
let emptyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-bench-\(getpid())")
try FileManager.default.createDirectory(at: emptyDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
defer { try? FileManager.default.removeItem(at: emptyDirectory) }
FileManager.default.createFile(atPath: emptyDirectory.appendingPathComponent("empty.py").path,
                               contents: Data("def main(**kwargs):\n    return None\n".utf8), attributes: [.posixPermissions: 0o644])
let empty = CodeBundle(directory: emptyDirectory, entry: "empty.main")
func request(_ function: String) -> InvocationRequest {
    InvocationRequest(key: FunctionKey(projectID: "bench", functionID: function, version: 0), runtimeID: "bench-python", executionID: "bench",
                      limits: CgroupLimits(memory: 64 << 20, pids: 64, millicpu: 1000), timeout: 10, input: nil, positional: false, code: .success(empty),
                      detachesSeen: pool.detaches)
}
var coldTimes: [Double] = []
for i in 0..<12 {
    // Let the refill finish so that every first call finds an idle generic worker.
    while await (pool.capacity(runtimeID: "bench-python")?.available ?? 0) < 4 { try await Task.sleep(for: .milliseconds(5)) }
    let t0 = clock.now
    let result = try await pool.invoke(request("cold-\(i)"))
    precondition(result.succeeded && result.cold, "cold call failed: \(result.output)")
    coldTimes.append(seconds(clock.now - t0) * 1000)
    await pool.detach(functionID: "cold-\(i)", version: nil)
}
var warmTimes: [Double] = []
_ = try await pool.invoke(request("warm"))
for _ in 0..<3000 {
    let t0 = clock.now
    _ = try await pool.invoke(request("warm"))
    warmTimes.append(seconds(clock.now - t0) * 1_000_000)
}
report("first call on an idle generic worker (median)", percentile(coldTimes, 0.5), unit: "ms")
report("warm call through the pool p50", percentile(warmTimes, 0.5), unit: "µs")
report("warm call through the pool p99", percentile(warmTimes, 0.99), unit: "µs")
await pool.shutdown()

// 4. The same sandboxes and calls made as the daemon makes them: through hearth-launcher (one
// more process hop and a record each way), against the in-process numbers above.
let packagesRoot = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-bench-packages-\(getpid())")
let launchedCode = packagesRoot.appendingPathComponent("empty")
try FileManager.default.createDirectory(at: launchedCode, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
defer { try? FileManager.default.removeItem(at: packagesRoot) }
FileManager.default.createFile(atPath: launchedCode.appendingPathComponent("empty.py").path,
                               contents: Data("def main(**kwargs):\n    return None\n".utf8), attributes: [.posixPermissions: 0o644])
let launcher = try Launcher.start(
    .init(packages: packagesRoot.path, allowedRoots: binds.map(\.source) + [root.appendingPathComponent("runtimes").path],
          uidRange: HostIdentities.defaultRange(), maxMemory: 1 << 30, maxPids: 128, maxMillicpu: 1000, maxTmp: 64 << 20, maxCode: 128 << 20),
    profiles: [profile])
let launched = Sandbox(launcher: launcher)
var launchedSpawns: [Double] = []
started = clock.now
for _ in 0..<spawns {
    let t0 = clock.now
    let process = try launched.spawn(trueSpec)
    launchedSpawns.append(seconds(clock.now - t0) * 1000)
    _ = await process.reap()
}
let launchedRate = Double(spawns) / seconds(clock.now - started)
report("sandbox set-up via hearth-launcher (median)", percentile(launchedSpawns, 0.5), unit: "ms",
       baseline: percentile(spawnOnly, 0.5), baselineName: "in-process")
report("sandbox spawn+exit /bin/true via hearth-launcher", launchedRate, unit: "per s", baseline: sandboxRate, baselineName: "in-process")
// A fresh worker as the daemon starts one: through hearth-launcher.
let launchedReady = try await workerReadyTimes(on: launched)
report("python3 worker ready via hearth-launcher (median)", percentile(launchedReady, 0.5), unit: "ms",
       baseline: percentile(readyTimes, 0.5), baselineName: "in-process")
let launchedPool = WorkerPool(sandbox: launched, profiles: profiles, settings: PoolSettings(capacity: 4, perFunctionWorkers: 1), logger: logger)
try await launchedPool.warm(python)
let launchedBundle = CodeBundle(directory: launchedCode, entry: "empty.main")
func launchedRequest(_ function: String) -> InvocationRequest {
    InvocationRequest(key: FunctionKey(projectID: "bench", functionID: function, version: 0), runtimeID: "bench-python", executionID: "bench",
                      limits: CgroupLimits(memory: 64 << 20, pids: 64, millicpu: 1000), timeout: 10, input: nil, positional: false, code: .success(launchedBundle),
                      detachesSeen: launchedPool.detaches)
}
var launchedCold: [Double] = []
for i in 0..<12 {
    while await (launchedPool.capacity(runtimeID: "bench-python")?.available ?? 0) < 4 { try await Task.sleep(for: .milliseconds(5)) }
    let t0 = clock.now
    let result = try await launchedPool.invoke(launchedRequest("cold-\(i)"))
    precondition(result.succeeded && result.cold, "cold call failed: \(result.output)")
    launchedCold.append(seconds(clock.now - t0) * 1000)
    await launchedPool.detach(functionID: "cold-\(i)", version: nil)
}
var launchedWarm: [Double] = []
_ = try await launchedPool.invoke(launchedRequest("warm"))
for _ in 0..<3000 {
    let t0 = clock.now
    _ = try await launchedPool.invoke(launchedRequest("warm"))
    launchedWarm.append(seconds(clock.now - t0) * 1_000_000)
}
report("first call via hearth-launcher (median)", percentile(launchedCold, 0.5), unit: "ms", baseline: percentile(coldTimes, 0.5), baselineName: "in-process")
report("warm call via hearth-launcher p50", percentile(launchedWarm, 0.5), unit: "µs", baseline: percentile(warmTimes, 0.5), baselineName: "in-process")
report("warm call via hearth-launcher p99", percentile(launchedWarm, 0.99), unit: "µs", baseline: percentile(warmTimes, 0.99), baselineName: "in-process")
await launchedPool.shutdown()
launcher.stop()

print(JSONValue.object(results).serialized)
