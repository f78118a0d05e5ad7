import MIME

/// A stored message, parsed once: its bytes with every line ending made CRLF, and its MIME tree over
/// those bytes. Everything IMAP reports (sizes, sections, partial offsets) counts CRLF line endings
/// (RFC 3501 §2.3.1, RFC 5322 §2.1), while Maildir files usually end lines with a bare LF; normalising
/// first makes every offset of the tree an offset on the wire.
public struct IMAPMessageContent: Sendable {
    /// The message with each bare LF turned into CRLF (a bare CR stays, as `MessageSizeCounter` counts it).
    public let bytes: [UInt8]
    public let root: MIMEPart

    public init(storedBytes: [UInt8]) {
        let bytes = Self.normalise(storedBytes)
        self.bytes = bytes
        self.root = MIMEParser.parse(bytes)
    }

    /// The bytes with a CR inserted before every LF that has none (returns the input when there is none).
    static func normalise(_ stored: [UInt8]) -> [UInt8] {
        var bareLF = 0
        var previous: UInt8 = 0
        for byte in stored {
            if byte == IMAPByte.lf, previous != IMAPByte.cr { bareLF += 1 }
            previous = byte
        }
        guard bareLF > 0 else { return stored }
        var out: [UInt8] = []
        out.reserveCapacity(stored.count + bareLF)
        previous = 0
        for byte in stored {
            if byte == IMAPByte.lf, previous != IMAPByte.cr { out.append(IMAPByte.cr) }
            out.append(byte)
            previous = byte
        }
        return out
    }
}
