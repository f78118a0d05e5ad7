import NIOCore

/// Takes exactly the octets of one BDAT chunk (RFC 3030 §2) from the input stream, however it
/// arrives; the content is binary and not dot-stuffed.
public struct SMTPChunkReader: Sendable {
    public let size: Int
    public let isLast: Bool
    public private(set) var remaining: Int

    public init(size: Int, last: Bool) {
        self.size = size
        self.isLast = last
        self.remaining = size
    }

    public var isComplete: Bool { remaining == 0 }

    /// Takes as much of the chunk as `input` holds; nil when it holds nothing of it.
    public mutating func take(from input: inout ByteBuffer) -> ByteBuffer? {
        let count = min(remaining, input.readableBytes)
        guard count > 0, let slice = input.readSlice(length: count) else { return nil }
        remaining -= count
        return slice
    }
}
