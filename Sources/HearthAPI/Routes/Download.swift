import Foundation
import HearthCore
import Hummingbird
import HummingbirdCore
import NIOCore

/// `?download=true` on a function or one of its versions, and the zip it answers with.
enum Download {
    /// Whether the query asks for the package (any oslo spelling of true); other arguments are refused.
    static func requested(_ uri: URI) throws -> Bool {
        var download = false
        for (key, value) in uri.queryParameters {
            guard key == "download" else { throw APIError.badRequest("Unknown argument: \"\(key)\". Only \"download\" is accepted here.") }
            guard let flag = StrictBool.parse(String(value)) else {
                throw APIError.badRequest("download must be true or false, got '\(value)'.")
            }
            download = flag
        }
        return download
    }

    static func zip(_ bytes: Data, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/zip", .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
