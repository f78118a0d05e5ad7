@testable import IMAP
import Testing
import TestSupport

@Suite struct NormaliseTests {
    /// The rule, one byte at a time: a CR before every LF that has none.
    static func naive(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A, previous != 0x0D { out.append(0x0D) }
            out.append(byte)
            previous = byte
        }
        return out
    }

    @Test("bulk normalisation equals the byte-by-byte rule on random line endings", arguments: 0..<50)
    func matchesNaive(seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed))
        let alphabet: [UInt8] = [0x0A, 0x0D, 0x41, 0x20, 0x0A]
        let bytes = (0..<Int(random.next() % 200)).map { _ in alphabet[Int(random.next() % 5)] }
        #expect(IMAPMessageContent.normalise(bytes) == Self.naive(bytes))
    }

    @Test("edge cases: empty, only LF, LF first and last, already CRLF")
    func edges() {
        for text in ["", "\n", "\n\n", "a\n", "\na", "a\r\nb\r\n", "\r\n\n\r"] {
            let bytes = Array(text.utf8)
            #expect(IMAPMessageContent.normalise(bytes) == Self.naive(bytes), "\(text.debugDescription)")
        }
    }
}
