import HearthCore
import HearthWire
import Hummingbird
import NIOCore

/// Reads a request body into `RequestFields`, bounded in size, by its Content-Type. The
/// decoding itself is `BodyDecoder` (HearthWire), which the fuzz targets drive.
enum BodyReader {
    /// Collects at most `limit` bytes; more is a 413 that names the limit.
    static func collect(_ request: Request, limit: Int, what: String) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "Request body is larger than \(limit) bytes; \(what).")
        }
    }

    static func fields(of request: Request, limit: Int, what: String) async throws -> RequestFields {
        let buffer = try await collect(request, limit: limit, what: what)
        return try decoded { () throws(BodyError) in try BodyDecoder.fields(Array(buffer.readableBytesView), contentType: request.headers[.contentType] ?? "") }
    }

    static func json(_ bytes: [UInt8]) throws -> RequestFields {
        try decoded { () throws(BodyError) in try BodyDecoder.json(bytes) }
    }

    static func form(_ bytes: [UInt8]) throws -> RequestFields {
        try decoded { () throws(BodyError) in try BodyDecoder.form(bytes) }
    }

    static func multipart(_ bytes: [UInt8], contentType: String) throws -> RequestFields {
        try decoded { () throws(BodyError) in try BodyDecoder.multipart(bytes, contentType: contentType) }
    }

    /// A body that cannot be read is the caller's mistake: a 400 with the decoder's message.
    private static func decoded(_ decode: () throws(BodyError) -> BodyDecoder.Fields) throws -> RequestFields {
        do {
            return RequestFields(entries: try decode())
        } catch {
            throw APIError.badRequest(error.message)
        }
    }
}
