import LineProtocol
import NIOCore
import Testing

/// The streaming encoder against a plain line-by-line reference, for every way of cutting a
/// message into two or three pieces: a line, a CRLF or a leading dot may span pieces.
@Suite struct DotStufferTests {
    static let messages: [String] = [
        "Subject: a\r\n\r\nbody\r\n.dot line\r\n..two\r\n",
        "bare\nlf\n\n.x\nlast",
        "cr\r\rinside\r\nend\r",
        ".\r\n.\r\n\r\n.\r\n",
        "",
        "\r\n",
        "no newline at all",
        "h: 1\r\nh: 2\r\n\r\nb1\r\nb2\r\nb3\r\nb4\r\n",
    ]

    /// RFC 1939 §3 done the obvious way: split at LF, drop a CR before it, stuff, CRLF.
    static func reference(_ message: String, bodyLineLimit: Int?) -> String {
        // Bytes, not Characters: Swift treats CRLF as one Character.
        let bytes = Array(message.utf8)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        if lines.last == [] { lines.removeLast() }  // the message ended with LF
        var out: [UInt8] = []
        var inBody = false
        var bodyLines = 0
        for (index, var line) in lines.enumerated() {
            if inBody, let bodyLineLimit, bodyLines >= bodyLineLimit { break }
            let endedWithLF = index < lines.count - 1 || bytes.last == UInt8(ascii: "\n")
            if endedWithLF, line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.first == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out += line + Array("\r\n".utf8)
            if inBody { bodyLines += 1 } else if line.isEmpty { inBody = true }
        }
        return String(decoding: out + Array(".\r\n".utf8), as: UTF8.self)
    }

    static func encode(_ pieces: [ArraySlice<UInt8>], bodyLineLimit: Int?) -> String {
        var stuffer = DotStuffer(bodyLineLimit: bodyLineLimit)
        var out = ByteBuffer()
        for piece in pieces { stuffer.append(piece, into: &out) }
        stuffer.finish(into: &out)
        return String(buffer: out)
    }

    @Test("any split into pieces gives the reference encoding", arguments: messages)
    func everySplit(message: String) {
        let bytes = Array(message.utf8)
        for limit in [nil, 0, 1, 2] as [Int?] {
            let expected = Self.reference(message, bodyLineLimit: limit)
            #expect(Self.encode([bytes[...]], bodyLineLimit: limit) == expected)
            for first in 0...bytes.count {
                for second in first...bytes.count {
                    let pieces = [bytes[..<first], bytes[first..<second], bytes[second...]]
                    #expect(Self.encode(pieces, bodyLineLimit: limit) == expected,
                            "pieces at \(first) and \(second), limit \(String(describing: limit))")
                }
            }
        }
    }

    @Test("TOP is complete once its body lines are out, and later pieces add nothing")
    func completeAfterBodyLines() {
        var stuffer = DotStuffer(bodyLineLimit: 1)
        var out = ByteBuffer()
        stuffer.append(Array("h: 1\r\n\r\nfirst\r\n".utf8), into: &out)
        #expect(stuffer.isComplete)
        stuffer.append(Array("second\r\n".utf8), into: &out)
        stuffer.finish(into: &out)
        #expect(String(buffer: out) == "h: 1\r\n\r\nfirst\r\n.\r\n")
    }

    @Test("random messages of dots, CRs, LFs and letters, cut at random, match the reference", arguments: 0..<20)
    func randomMessages(seed: UInt64) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17  // xorshift
            return Int(state % UInt64(bound))
        }
        let alphabet = Array(".\r\na".utf8)
        for _ in 0..<50 {
            // Mostly short; some long enough that one piece's encoding outgrows the room first reserved.
            let length = next(4) == 0 ? 20_000 + next(50_000) : next(60)
            let bytes = (0..<length).map { _ in alphabet[next(alphabet.count)] }
            let message = String(decoding: bytes, as: UTF8.self)
            let cuts = (0..<next(4)).map { _ in next(bytes.count + 1) }.sorted()
            var pieces: [ArraySlice<UInt8>] = []
            var start = 0
            for cut in cuts + [bytes.count] {
                pieces.append(bytes[start..<cut])
                start = cut
            }
            let limit: Int? = next(3) == 0 ? next(5) : nil
            #expect(Self.encode(pieces, bodyLineLimit: limit) == Self.reference(message, bodyLineLimit: limit),
                    "length \(length), cuts \(cuts), limit \(String(describing: limit))")
        }
    }

    @Test("a piece of bare LFs only (the encoding doubles it) and one long line")
    func worstCases() {
        let lfs = String(repeating: "\n", count: 70_000)
        #expect(Self.encode([Array(lfs.utf8)[...]], bodyLineLimit: nil) == String(repeating: "\r\n", count: 70_000) + ".\r\n")
        let long = "." + String(repeating: "x", count: 100_000)
        #expect(Self.encode([Array(long.utf8)[...]], bodyLineLimit: nil) == "." + long + "\r\n.\r\n")
    }
}

