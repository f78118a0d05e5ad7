import NIOCore

/// Takes exactly a declared number of octets from the input stream (an SMTP BDAT chunk,
/// RFC 3030 §2; an IMAP literal, RFC 3501 §4.3), in whatever pieces they arrive, without
/// gathering them: each call hands out a slice of what `input` already holds.
public struct FixedLengthReader: Sendable, Equatable {
    /// The declared size.
    public let size: Int
    public private(set) var remaining: Int

    public init(size: Int) {
        precondition(size >= 0, "a declared size is never negative")
        self.size = size
        self.remaining = size
    }

    public var isComplete: Bool { remaining == 0 }

    /// Takes as much of the rest as `input` holds; nil when it holds none of it.
    public mutating func take(from input: inout ByteBuffer) -> ByteBuffer? {
        let count = min(remaining, input.readableBytes)
        guard count > 0, let slice = input.readSlice(length: count) else { return nil }
        remaining -= count
        return slice
    }

    /// Drops as much of the rest as `input` holds; returns how many octets it dropped.
    @discardableResult
    public mutating func skip(in input: inout ByteBuffer) -> Int {
        let count = min(remaining, input.readableBytes)
        input.moveReaderIndex(forwardBy: count)
        remaining -= count
        return count
    }
}
