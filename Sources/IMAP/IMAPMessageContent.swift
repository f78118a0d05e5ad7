import Glibc
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
    /// Copies runs between line ends in bulk (`memchr`): every message read for FETCH or SEARCH
    /// goes through here.
    static func normalise(_ stored: [UInt8]) -> [UInt8] {
        stored.withUnsafeBufferPointer { input -> [UInt8] in
            guard let base = input.baseAddress else { return stored }
            var lineEnds: [Int] = []  // offsets of bare LFs
            var offset = 0
            while offset < input.count, let found = memchr(base + offset, 0x0A, input.count - offset) {
                let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if index == 0 || input[index - 1] != IMAPByte.cr { lineEnds.append(index) }
                offset = index + 1
            }
            guard !lineEnds.isEmpty else { return stored }
            return [UInt8](unsafeUninitializedCapacity: input.count + lineEnds.count) { output, count in
                var from = 0
                var to = 0
                for lf in lineEnds {
                    let run = lf - from
                    (output.baseAddress! + to).initialize(from: base + from, count: run)
                    to += run
                    output[to] = IMAPByte.cr
                    to += 1
                    from = lf
                }
                (output.baseAddress! + to).initialize(from: base + from, count: input.count - from)
                count = input.count + lineEnds.count
            }
        }
    }
}
