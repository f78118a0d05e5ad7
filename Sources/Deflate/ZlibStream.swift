internal import CZlib
import NIOCore

/// Input that is not valid DEFLATE data, or a zlib failure; the connection cannot go on.
public struct DeflateError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// One direction of raw DEFLATE (RFC 1951: no zlib or gzip framing, RFC 4978 §5) over zlib.
/// The `z_stream` lives at a fixed heap address, as zlib keeps a pointer back to it.
final class ZlibStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private let compressing: Bool
    private var open = true

    /// A compressor. `windowBits` 9...15 and `memLevel` 1...9 set its memory: about
    /// 2^(windowBits+2) + 2^(memLevel+9) bytes plus 6 KiB (zlib.h, "memory footprint").
    init(compressionLevel: Int32, windowBits: Int32, memLevel: Int32) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        compressing = true
        guard czlib_deflate_init(stream, compressionLevel, -windowBits, memLevel) == Z_OK else {
            stream.deallocate()
            throw DeflateError(description: "zlib could not start a compressor")
        }
    }

    /// A decompressor that takes any window the peer chose (up to 32 KiB, allocated on first use).
    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        compressing = false
        guard czlib_inflate_init(stream, -15) == Z_OK else {
            stream.deallocate()
            throw DeflateError(description: "zlib could not start a decompressor")
        }
    }

    deinit {
        end()
        stream.deallocate()
    }

    /// Frees zlib's buffers; the stream cannot be used afterwards.
    func end() {
        guard open else { return }
        open = false
        if compressing { deflateEnd(stream) } else { inflateEnd(stream) }
    }

    /// Compresses all of `input` into `output`. With `flush`, the output ends on a byte boundary
    /// with everything so far decodable (Z_SYNC_FLUSH), as the peer must read each response burst
    /// whole before it answers.
    func compress(_ input: ByteBuffer, flush: Bool, into output: inout ByteBuffer) throws {
        var input = input
        let mode = flush ? Z_SYNC_FLUSH : Z_NO_FLUSH
        try input.withUnsafeMutableReadableBytes { source in
            stream.pointee.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = UInt32(source.count)
            repeat {
                let room = max(4096, Int(stream.pointee.avail_in) / 2 + 64)
                _ = try output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { target in
                    stream.pointee.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = UInt32(target.count)
                    let status = deflate(stream, mode)
                    // Z_BUF_ERROR only says there was nothing to do.
                    guard status == Z_OK || status == Z_BUF_ERROR else {
                        throw DeflateError(description: "zlib compression failed (\(status))")
                    }
                    return target.count - Int(stream.pointee.avail_out)
                }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
            stream.pointee.next_in = nil
        }
    }

    /// Decompresses from `input` (consuming what zlib took) into at most `limit` new bytes.
    /// `hasMore` is true when zlib may hold output it had no room for.
    func decompress(_ input: inout ByteBuffer, limit: Int) throws -> (output: ByteBuffer, hasMore: Bool) {
        var output = ByteBuffer()
        var status = Z_OK
        let consumed = try input.withUnsafeMutableReadableBytes { source -> Int in
            stream.pointee.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = UInt32(source.count)
            _ = try output.writeWithUnsafeMutableBytes(minimumWritableBytes: limit) { target in
                stream.pointee.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(min(target.count, limit))
                status = inflate(stream, Z_SYNC_FLUSH)
                guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else {
                    throw DeflateError(description: "the client sent data that is not valid DEFLATE (zlib \(status))")
                }
                return min(target.count, limit) - Int(stream.pointee.avail_out)
            }
            let left = Int(stream.pointee.avail_in)
            stream.pointee.next_in = nil
            return source.count - left
        }
        input.moveReaderIndex(forwardBy: consumed)
        // RFC 4978 has the stream run until the connection closes; bytes after its end are garbage.
        if status == Z_STREAM_END && input.readableBytes > 0 {
            throw DeflateError(description: "the client sent data after ending its DEFLATE stream")
        }
        return (output, status != Z_STREAM_END && output.readableBytes == limit)
    }
}
