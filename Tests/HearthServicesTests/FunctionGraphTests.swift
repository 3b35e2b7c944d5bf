import Foundation
import HearthCore
@testable import HearthServices
import XCTest

final class FunctionGraphTests: XCTestCase {
    func testURNForms() throws {
        let full = try FunctionURN(parsing: "urn:fss:eu-de:p1:function:default:hello:latest")
        XCTAssertEqual(full, FunctionURN(projectID: "p1", package: "default", name: "hello", qualifier: .latest))
        XCTAssertEqual(try FunctionURN(parsing: "hello"), FunctionURN(projectID: nil, package: "default", name: "hello"))
        XCTAssertEqual(try FunctionURN(parsing: "pkg:hello"), FunctionURN(projectID: nil, package: "pkg", name: "hello"))
        XCTAssertEqual(try FunctionURN(parsing: "p1:pkg:hello"), FunctionURN(projectID: "p1", package: "pkg", name: "hello"))
        XCTAssertEqual(try FunctionURN(parsing: "p1:pkg:hello:v2").qualifier, .version("v2"))
        XCTAssertEqual(try FunctionURN(parsing: "urn:fss:r:p1:function:pkg:hello:!prod").qualifier, .alias("prod"))
        XCTAssertEqual(try FunctionURN(parsing: "urn:fss:r:p1:function:pkg:hello").qualifier, .latest)
        for bad in ["", "a:b:c:d:e", "urn:fss:r:p1:func:pkg:hello", "nope:fss:r:p1:function:pkg:hello:latest", "p1:pkg:hello:!",
                    "p1:pkg:he llo", "p 1:pkg:hello", "a:b:c:d:e:f:g:h:i"] {
            XCTAssertThrowsError(try FunctionURN(parsing: bad), bad) { error in
                XCTAssertEqual((error as? FunctionGraphError)?.code, "FSS.1309")
            }
        }
        XCTAssertEqual(FunctionURN.string(projectID: "p", package: "default", name: "f", qualifier: "latest"), "urn:fss:local:p:function:default:f:latest")
    }

    func testVersionAndAliasNames() throws {
        XCTAssertEqual(FunctionGraphVersions.generatedName(Date(timeIntervalSince1970: 1_704_110_645)), "v20240101-120405")
        XCTAssertEqual(try FunctionGraphVersions.checkVersionName("v1.2-beta_3"), "v1.2-beta_3")
        for bad in ["latest", "7", "1a", "-v", "v 1", String(repeating: "v", count: 65)] {
            XCTAssertThrowsError(try FunctionGraphVersions.checkVersionName(bad), bad)
        }
        XCTAssertTrue(FunctionGraphVersions.isAliasName("prod-2_b"))
        for bad in ["9lives", "", "has.dot", "ünï", String(repeating: "a", count: 65)] {
            XCTAssertFalse(FunctionGraphVersions.isAliasName(bad), bad)
        }
    }

    func testRuntimeNames() {
        XCTAssertEqual(FunctionGraphRuntime.manifest(for: "Python3.9"), "python3")
        XCTAssertEqual(FunctionGraphRuntime.manifest(for: "Python3.12"), "python3")
        XCTAssertEqual(FunctionGraphRuntime.manifest(for: "Node.js18.15"), "nodejs")
        XCTAssertEqual(FunctionGraphRuntime.manifest(for: "Node.js6.10"), "nodejs")
        for unsupported in ["Python2.7", "Python3.", "Java8", "Go1.x", "Custom", "http", "Node.js", "Node.jsX"] {
            XCTAssertNil(FunctionGraphRuntime.manifest(for: unsupported), unsupported)
        }
    }

    func testUserData() throws {
        let variables = try FunctionGraphUserData.parse(#"{"HOST": "192.168.0.1", "PORT": 8080, "DEBUG": true}"#)
        XCTAssertEqual(variables.map(\.name), ["HOST", "PORT", "DEBUG"])
        XCTAssertEqual(variables.map(\.value), ["192.168.0.1", "8080", "true"])
        XCTAssertTrue(try FunctionGraphUserData.parse("").isEmpty)
        for bad in ["[]", "not json", #"{"1A": "x"}"#, #"{"A-B": "x"}"#, #"{"A": {"nested": 1}}"#, #"{"A": null}"#,
                    "{\"A\": \"" + String(repeating: "x", count: 5000) + "\"}"] {
            XCTAssertThrowsError(try FunctionGraphUserData.parse(bad), bad) { error in
                XCTAssertEqual((error as? FunctionGraphError)?.code, "FSS.1009")
            }
        }
    }

    func testSecretsSealedUnderTheKeyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-box-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let box = try SecretBox(directory: directory)
        let sealed = try box.seal("the-secret", accessKey: "AK1")
        XCTAssertNil(sealed.range(of: Data("the-secret".utf8)))
        XCTAssertEqual(try SecretBox(directory: directory).unseal(sealed, accessKey: "AK1"), "the-secret")
        XCTAssertNil(box.unseal(sealed, accessKey: "AK2"), "a sealed secret moved to another access key does not open")
        let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(SecretBox.fileName).path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        // Another data directory has another key.
        let other = directory.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        XCTAssertNil(try SecretBox(directory: other).unseal(sealed, accessKey: "AK1"))
    }
}
