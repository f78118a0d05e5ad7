import IMAP
import NIOCore
import Testing
import TestSupport

/// Random, partly well-formed input in random pieces: the session must never trap, every
/// line it writes must be an untagged (`* `), continuation (`+ `) or tagged OK/NO/BAD
/// response, and junk must not change a stored message.
@Suite struct SessionRandomInputTests {
    static let pieces = [
        "a SELECT INBOX\r\n", "b EXAMINE INBOX\r\n", "c FETCH 1:* (FLAGS UID ENVELOPE)\r\n", "d FETCH 1 BODY.PEEK[]\r\n",
        "e UID FETCH 1:* (BODYSTRUCTURE RFC822.SIZE)\r\n", "f SEARCH FROM bob\r\n", "g UID SEARCH 1:* NOT DELETED\r\n",
        "h LIST \"\" *\r\n", "i STATUS INBOX (MESSAGES UNSEEN)\r\n", "j NOOP\r\n", "k CAPABILITY\r\n", "l IDLE\r\n", "DONE\r\n",
        "m LOGIN alice wrong\r\n", "n AUTHENTICATE PLAIN\r\n", "*\r\n", "o FETCH 99 FLAGS\r\n", "p FETCH 1:2 (BODY[1.2.3]<0.5>)\r\n",
        "q SELECT \"&Jjo\"\r\n", "r LIST \"\" {3}\r\n%%%\r\n", "s ID (\"name\" {2+}\r\nxx)\r\n", "t UNSELECT\r\n",
        "u CHECK\r\n", "v NAMESPACE\r\n", "w ENABLE UTF8=ACCEPT\r\n", "x SEARCH CHARSET KOI8-R FROM x\r\n",
        "y APPEND Nowhere {5}\r\n", "hello\r\n", "\r\n", "z\r\n", "(\r\n", "a1 FETCH 1 (\r\n", "{999999999999}\r\n",
        String(repeating: "X", count: 70_000) + "\r\n",
    ]

    @Test("random pipelined input never traps and every response is well formed", arguments: 0..<24)
    func randomSessions(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        try backend.deliver("From: bob@example.org\nSubject: one\n\nbody\n")
        try backend.deliver("Content-Type: multipart/mixed; boundary=b\n\n--b\n\npart\n--b--\n")
        let before = backend.messageFiles()
        let session = try IMAPHarness(backend: backend)
        defer { session.close() }
        var text = session.output()
        try session.login()

        var input: [UInt8] = []
        for _ in 0..<60 {
            if random.next() % 6 == 0 {
                input += (0..<(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                input += Array(Self.pieces[Int(random.next() % UInt64(Self.pieces.count))].utf8)
            }
        }
        var offset = 0
        while offset < input.count, session.channel.isActive {
            let end = min(offset + 1 + Int(random.next() % 300), input.count)
            try session.channel.writeInbound(ByteBuffer(bytes: input[offset..<end]))
            text += session.output()
            offset = end
        }
        for line in Self.responseLines(text) {
            let tagged = line.split(separator: " ", maxSplits: 2)
            let wellFormed = line.hasPrefix("* ") || line.hasPrefix("+ ")
                || (tagged.count >= 2 && ["OK", "NO", "BAD"].contains(tagged[1]))
            #expect(wellFormed, "malformed response: \(line.prefix(200))")
        }
        // Junk and reads may add \Seen (none of the pieces does): the files must stay as they were.
        #expect(backend.messageFiles().map(Self.uniquePart) == before.map(Self.uniquePart))
    }

    /// The start of every response (up to its first CRLF), skipping literals: a segment
    /// ending in `{n}` is followed by n octets and the rest of the same response.
    static func responseLines(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var lines: [String] = []
        var first: String?
        var index = 0
        while index < bytes.count {
            var end = index
            while end + 1 < bytes.count, !(bytes[end] == 0x0D && bytes[end + 1] == 0x0A) { end += 1 }
            guard end + 1 < bytes.count else { break }
            let segment = String(decoding: bytes[index..<end], as: UTF8.self)
            if first == nil { first = segment }
            index = end + 2
            if segment.hasSuffix("}"), let open = segment.lastIndex(of: "{"),
               let count = Int(segment[segment.index(after: open)..<segment.index(before: segment.endIndex)]) {
                index += count
            } else {
                lines.append(first!)
                first = nil
            }
        }
        return lines
    }

    /// A message file's directory and unique part (new/ → cur/ moves are a SELECT's right).
    static func uniquePart(_ path: String) -> String {
        String(path.split(separator: "/").last!.split(separator: ":").first!)
    }
}
