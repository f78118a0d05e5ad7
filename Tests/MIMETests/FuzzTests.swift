import Testing
@testable import MIME
import TestSupport

/// Seeded random messages: the parser never traps, and the wire text is always well-formed IMAP
/// (balanced parentheses, closed quoted strings, literals of the announced length).
@Suite struct FuzzTests {
    static let fragments: [String] = [
        "Content-Type: multipart/mixed; boundary=b\n", "Content-Type: multipart/digest; boundary=\"c\"\n",
        "Content-Type: message/rfc822\n", "Content-Type: text/plain; charset=\"utf-8\"; name*0=a; name*1*=%41\n",
        "Content-Type: multipart/alternative; boundary=bb\r\n", "Content-Type: ;;;==\"\n", "Content-Type: text\n",
        "--b\n", "--b--\n", "--c\r\n", "--c--", "--bb\n", "--\n", "\n", "\r\n", "\r", " folded\n", "\tfold\n",
        "From: \"A \\\" B\" <a@b>, G: c@d, <@r:e@f>;\n", "To: (x(y)z) <>, @, [\n", "Subject: =?utf-8?q?x?= \"\\\n",
        "Content-Disposition: attachment; filename=\"x\"\n", "Content-Language: en, (c) de\n",
        "Content-Transfer-Encoding: base64\n", "Content-ID: <id>\n", "Content-Location: x\n", "no colon line\n",
        "body text\n", "\u{00E9}\u{00FC}\n", "(", ")", "\"", "\\", "<", ">", ":", ";", ",", "@",
    ]

    static func randomMessage(_ rng: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 0...60, using: &rng) {
            if Int.random(in: 0..<8, using: &rng) == 0 {
                out.append(UInt8.random(in: 0...255, using: &rng))
            } else {
                out.append(contentsOf: Array(fragments.randomElement(using: &rng)!.utf8))
            }
        }
        return out
    }

    /// Walks IMAP wire text: returns nil when it is well formed (one parenthesised value), else why not.
    static func wireProblem(_ b: [UInt8]) -> String? {
        var i = 0
        var depth = 0
        var sawTop = false
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "("):
                if depth == 0 && sawTop { return "second top-level value at \(i)" }
                depth += 1
                sawTop = true
                i += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth < 0 { return "unbalanced ) at \(i)" }
                i += 1
            case UInt8(ascii: "\""):
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\"") {
                    if b[i] == UInt8(ascii: "\\") { i += 1 }
                    if i < b.count, b[i] == 0x0D || b[i] == 0x0A || b[i] >= 0x80 { return "bad byte in quoted at \(i)" }
                    i += 1
                }
                if i >= b.count { return "unterminated quoted string" }
                i += 1
            case UInt8(ascii: "{"):
                guard let close = b[i...].firstIndex(of: UInt8(ascii: "}")),
                      let n = Int(String(decoding: b[(i + 1)..<close], as: UTF8.self)),
                      close + 2 < b.count,
                      b[close + 1] == 0x0D, b[close + 2] == 0x0A
                else { return "bad literal at \(i)" }
                i = close + 3 + n
                if i > b.count { return "literal past the end" }
            case UInt8(ascii: " "):
                i += 1
            default:
                // Atoms: NIL and numbers only.
                let start = i
                while i < b.count, b[i] != UInt8(ascii: " "), b[i] != UInt8(ascii: ")"), b[i] != UInt8(ascii: "(") { i += 1 }
                let atom = String(decoding: b[start..<i], as: UTF8.self)
                if atom != "NIL", Int(atom) == nil { return "unexpected atom \(atom) at \(start)" }
            }
        }
        return depth == 0 && sawTop ? nil : "unbalanced at end (depth \(depth))"
    }

    @Test func randomMessagesNeverTrapAndRenderWellFormed() {
        var rng = SeededGenerator(seed: 0x4C4F_4654)
        for round in 0..<1500 {
            let message = Self.randomMessage(&rng)
            let root = MIMEParser.parse(message)
            let outputs = [
                IMAPEnvelope(header: root.header).wireBytes,
                IMAPBodyStructure(root).body,
                IMAPBodyStructure(root).bodyStructure,
            ]
            for out in outputs {
                let problem = Self.wireProblem(out)
                #expect(problem == nil, "round \(round): \(problem ?? "") in \(String(decoding: out, as: UTF8.self))")
                if problem != nil { return }
            }
            #expect(root.bodyRange.upperBound <= message.count)
        }
    }

    @Test func mutatedCorpusMessagesNeverTrap() {
        var rng = SeededGenerator(seed: 7)
        for fixture in CorpusFixture.all() {
            for _ in 0..<20 {
                var m = fixture.message
                for _ in 0..<Int.random(in: 1...8, using: &rng) where !m.isEmpty {
                    let at = Int.random(in: 0..<m.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: m[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: m.removeSubrange(at..<min(m.count, at + Int.random(in: 1...40, using: &rng)))
                    default: m.insert(contentsOf: Array(Self.fragments.randomElement(using: &rng)!.utf8), at: at)
                    }
                }
                let root = MIMEParser.parse(m)
                #expect(Self.wireProblem(IMAPBodyStructure(root).bodyStructure) == nil)
                #expect(Self.wireProblem(IMAPEnvelope(header: root.header).wireBytes) == nil)
            }
        }
    }

    @Test func wireCheckerRejectsBrokenText() {
        #expect(Self.wireProblem(Array("(\"a\" NIL)".utf8)) == nil)
        #expect(Self.wireProblem(Array("({3}\r\na\"b NIL)".utf8)) == nil)
        #expect(Self.wireProblem(Array("(\"a\" NIL".utf8)) != nil)
        #expect(Self.wireProblem(Array("(\"a)".utf8)) != nil)
        #expect(Self.wireProblem(Array("({9}\r\nab)".utf8)) != nil)
    }
}
