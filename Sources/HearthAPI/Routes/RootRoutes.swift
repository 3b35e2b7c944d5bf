import HearthCore
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// `GET /` (the versions document) and `GET /v1/`, both open to everyone.
struct RootRoutes {
    func register(on table: RouteTable) {
        table.path("/", [.get: { request, _ in .json(Self.versions(base: Self.base(of: request))) }])
        table.path("/v1", [.get: { request, _ in .json(.object(["uri": .string(Self.base(of: request) + "/v1")])) }])
    }

    static func versions(base: String) -> JSONValue {
        .object([
            "versions": .array([
                .object([
                    "id": .string("v1.0"),
                    "status": .string("CURRENT"),
                    "links": .array([.object(["href": .string(base + "/v1"), "target": .string("v1"), "rel": .string("self")])]),
                ])
            ])
        ])
    }

    static func base(of request: Request) -> String {
        "http://" + (request.head.authority ?? "localhost")
    }
}
