import Foundation
import HearthServices
import XCTest

final class RuntimeCatalogTests: XCTestCase {
    func testResolvesNamesAliasesAndTags() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixture.writeManifest(in: directory, name: "python3", extra: #", "images": ["openstackqinling/python3-runtime"]"#)
        try Fixture.writeManifest(in: directory, name: "nodejs")
        let catalog = RuntimeCatalog(directory: directory)
        for image in ["python3", "openstackqinling/python3-runtime", "openstackqinling/python3-runtime:0.0.2"] {
            XCTAssertEqual(try catalog.resolve(image: image).get().name, "python3", image)
        }
        XCTAssertEqual(try catalog.resolve(image: "nodejs:20").get().name, "nodejs")
        guard case .failure(let error) = catalog.resolve(image: "ruby") else { return XCTFail("ruby resolved") }
        XCTAssertTrue(error.message.contains("installed: nodejs, python3"), error.message)
    }

    func testDescriptorsAreOptInAndMustBeABoolean() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixture.writeManifest(in: directory, name: "plain")
        try Fixture.writeManifest(in: directory, name: "fds", extra: #", "descriptors": true"#)
        try Fixture.writeManifest(in: directory, name: "odd", extra: #", "descriptors": "yes""#)
        let (found, broken) = RuntimeCatalog(directory: directory).manifests()
        XCTAssertEqual(found.map { "\($0.name)=\($0.descriptors)" }, ["fds=true", "plain=false"])
        XCTAssertEqual(broken.map(\.problem), [#""descriptors" must be true or false"#])
        // Every bundled worker takes descriptors (nodejs through its N-API addon).
        let bundled = RuntimeCatalog(directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../runtimes"))
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: bundled.manifests().found.map { ($0.name, $0.descriptors) }),
                       ["python3": true, "shell": true, "nodejs": true])
    }

    func testBrokenManifestsAreReportedWithTheirFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixture.writeManifest(in: directory, name: "bad", body: #"{"name": "bad", "command": "not-a-list"}"#)
        try Fixture.writeManifest(in: directory, name: "worse", body: "{oops")
        let (found, broken) = RuntimeCatalog(directory: directory).manifests()
        XCTAssertTrue(found.isEmpty)
        XCTAssertEqual(broken.count, 2)
        XCTAssertTrue(broken[0].description.contains("bad/manifest.json: \"command\" must be a non-empty array"), broken[0].description)
        XCTAssertTrue(broken[1].description.contains("not valid JSON"))
        guard case .failure(let error) = RuntimeCatalog(directory: directory).resolve(image: "bad") else { return XCTFail() }
        XCTAssertTrue(error.message.contains("broken"), error.message)
    }
}
