import NIOCore

/// Splits a byte stream into command lines with a hard length limit.
///
/// A line ends at LF; a CR right before it is dropped (CRLF is the standard ending, bare LF is
/// accepted from lenient clients). A line longer than `maxLineLength` (counting its ending) is
/// reported once as `.tooLong` and the rest of it, up to the next LF, is discarded so the
/// session can answer and carry on with the next line.
public struct LineFramer: Sendable {
    public enum Frame: Equatable, Sendable {
        /// One line without its line ending.
        case line(ByteBuffer)
        /// A line exceeded the limit; its bytes were dropped.
        case tooLong
    }

    public let maxLineLength: Int
    private var discardingOverlongLine = false

    public init(maxLineLength: Int) {
        precondition(maxLineLength >= 2, "a line needs room for at least its CRLF")
        self.maxLineLength = maxLineLength
    }

    /// Takes the next frame out of `buffer`, or returns nil when more bytes are needed.
    public mutating func next(from buffer: inout ByteBuffer) -> Frame? {
        while true {
            let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n"))
            if discardingOverlongLine {
                guard let newline else {
                    buffer.moveReaderIndex(to: buffer.writerIndex)
                    return nil
                }
                buffer.moveReaderIndex(to: newline + 1)
                discardingOverlongLine = false
                continue
            }
            guard let newline else {
                if buffer.readableBytes >= maxLineLength {
                    // No ending within the limit: report now, skip the rest as it arrives.
                    buffer.moveReaderIndex(to: buffer.writerIndex)
                    discardingOverlongLine = true
                    return .tooLong
                }
                return nil
            }
            let length = newline - buffer.readerIndex + 1
            guard length <= maxLineLength else {
                buffer.moveReaderIndex(to: newline + 1)
                return .tooLong
            }
            var line = buffer.readSlice(length: length)!
            line.moveWriterIndex(to: line.writerIndex - 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            return .line(line)
        }
    }
}
