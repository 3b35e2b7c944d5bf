// swift-tools-version:6.1
import PackageDescription

// Sources/hearth-init (PID 1 of every sandbox) is plain C built by the Makefile with gcc
// -static, beside hearthd: a sandbox has no Swift runtime to link it against.
// Layers point one way: hearthd → HearthAPI → HearthServices → HearthStore → HearthCore.
// Only HearthAPI imports Hummingbird; only HearthStore imports GRDB. HearthZip, beside them,
// depends on nothing but zlib, so that a fuzzer can build and drive it alone. HearthWire holds
// what HearthAPI reads from request bytes without the server (bodies, AK/SK signatures, times),
// so that `hearth-fuzz` can drive those parsers without building Hummingbird.
let package = Package(
    name: "hearth",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hearthd", targets: ["hearthd"]),
        .executable(name: "hearth-bench", targets: ["hearth-bench"]),
        .executable(name: "hearth-fuzz", targets: ["hearth-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", exact: "4.7.1"),
    ],
    targets: [
        .target(name: "HearthCore"),
        // zlib (libz, zlib1g-dev): raw inflate and CRC-32 for HearthZip.
        .systemLibrary(name: "CZlib"),
        // Zip packages read without trusting a byte of them: bounded, checked, never trapping.
        .target(name: "HearthZip", dependencies: ["CZlib"]),
        // Between clone and execve: plain C, allocation-free, one file per step.
        .target(
            name: "CSandbox",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("seccomp"), .linkedLibrary("cap")]
        ),
        .target(
            name: "HearthSandbox",
            dependencies: [
                "CSandbox",
                "HearthCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HearthPool",
            dependencies: [
                "HearthCore",
                "HearthSandbox",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HearthStore",
            dependencies: [
                "HearthCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "HearthServices",
            dependencies: [
                "HearthCore",
                "HearthStore",
                "HearthPool",
                "HearthZip",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HearthWire",
            dependencies: [
                "HearthCore",
                .product(name: "MultipartKit", package: "multipart-kit"),
            ]
        ),
        .target(
            name: "HearthAPI",
            dependencies: [
                "HearthCore",
                "HearthWire",
                "HearthServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "hearthd",
            dependencies: [
                "HearthCore",
                "HearthStore",
                "HearthServices",
                "HearthAPI",
                "HearthPool",
                "HearthSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // `make bench`: sandbox and pool numbers against baselines measured in the same run.
        .executableTarget(
            name: "hearth-bench",
            dependencies: ["HearthCore", "HearthSandbox", "HearthPool", .product(name: "Logging", package: "swift-log")]
        ),
        // `make fuzz`: one libFuzzer target per parser of untrusted bytes (see Tests/Fuzz/README.md).
        // Built normally it replays the committed corpus; built with `-sanitize=fuzzer,address`
        // in its own scratch path it fuzzes. It links no Hummingbird, GRDB or Crypto;
        // ZipFixtures (the tests' zip writer) re-zips what the zip target unpacks.
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "hearth-fuzz",
            dependencies: ["CLibFuzzer", "HearthCore", "HearthWire", "HearthPool", "HearthZip", "ZipFixtures"]
        ),
        .testTarget(name: "HearthCoreTests", dependencies: ["HearthCore"]),
        // The tests' zip writer (the daemon never writes zips).
        .target(name: "ZipFixtures", dependencies: ["CZlib"], path: "Tests/ZipFixtures"),
        .testTarget(name: "HearthZipTests", dependencies: ["HearthZip", "ZipFixtures"]),
        .testTarget(name: "HearthSandboxTests", dependencies: ["HearthSandbox", "HearthCore"]),
        .testTarget(name: "HearthPoolTests", dependencies: ["HearthPool", "HearthCore"]),
        .testTarget(
            name: "HearthServicesTests",
            dependencies: [
                "HearthServices", "HearthStore", "HearthCore",
                "ZipFixtures",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "HearthAPITests", dependencies: ["HearthAPI", "HearthWire", "HearthCore"]),
    ]
)
