/// Turns stored bytes, read in chunks, into the CRLF-normalised stream (each bare LF preceded by a CR,
/// RFC 3501 §2.3.1: IMAP sends the message with CRLF line endings) and cuts a range out of it, for the
/// streaming path of `IMAPFetchRenderer`. State carries across chunks: a CR ending one chunk pairs with an
/// LF starting the next.
public struct IMAPCRLFStream: Sendable {
    /// Offsets in the normalised stream.
    public let range: Range<Int>
    /// Normalised offset of the next byte produced.
    private var position = 0
    private var previousWasCR = false

    public init(range: Range<Int>) {
        self.range = range
    }

    /// Whether the whole range has been produced (an empty range is complete at once).
    public var isComplete: Bool {
        range.isEmpty || position >= range.upperBound
    }

    /// Feeds the next stored chunk; returns the normalised bytes of it that fall inside the range.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [UInt8] {
        guard !isComplete else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(Swift.min(chunk.count + chunk.count / 8, range.count))
        let lower = range.lowerBound
        let upper = range.upperBound
        for byte in chunk {
            if byte == IMAPByte.lf, !previousWasCR {
                if position >= lower { out.append(IMAPByte.cr) }
                position += 1
                if position >= upper { break }
            }
            if position >= lower { out.append(byte) }
            position += 1
            previousWasCR = byte == IMAPByte.cr
            if position >= upper { break }
        }
        return out
    }
}
