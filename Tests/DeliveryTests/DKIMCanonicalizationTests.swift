@testable import Delivery
import Foundation
import Testing

/// RFC 6376 §3.4.2 and §3.4.4 relaxed canonicalization, over the bytes Loft transmits.
@Suite struct DKIMCanonicalizationTests {
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("RFC 6376 §3.4.5 example, header fields: a:X and b:Y Z")
    func rfcExampleHeader() {
        #expect(DKIMRelaxedHeader.canonical(Self.bytes("A: X")) == Self.bytes("a:X\r\n"))
        #expect(DKIMRelaxedHeader.canonical(Self.bytes("B : Y\t\r\n\tZ  ")) == Self.bytes("b:Y Z\r\n"))
    }

    @Test("RFC 6376 §3.4.5 example, body: \" C\" and \"D E\", the trailing empty lines gone")
    func rfcExampleBody() {
        #expect(Self.body(" C \r\nD \t E\r\n\r\n\r\n") == " C\r\nD E\r\n")
    }

    @Test("header fields: name case, WSP around the colon, runs of WSP, folding, no line end for the signature field", arguments: [
        ("Subject:hello", "subject:hello\r\n"),
        ("SUBJECT  :  \t  many   spaces\there  \t", "subject:many spaces here\r\n"),
        ("To: a@example.org,\r\n  b@example.org,\r\n\tc@example.org", "to:a@example.org, b@example.org, c@example.org\r\n"),
        ("X-Empty:", "x-empty:\r\n"),
        ("X-Empty:   ", "x-empty:\r\n"),
        ("Subject: caf\u{e9} \u{1F600}", "subject:caf\u{e9} \u{1F600}\r\n"),
    ])
    func headerFields(input: String, expected: String) {
        #expect(DKIMRelaxedHeader.canonical(Self.bytes(input)) == Self.bytes(expected))
    }

    @Test("the DKIM-Signature field is canonicalized without its final CRLF (RFC 6376 §3.7)")
    func signatureFieldHasNoLineEnd() {
        #expect(DKIMRelaxedHeader.canonical(Self.bytes("DKIM-Signature: v=1;\r\n b="), lineEnd: false) == Self.bytes("dkim-signature:v=1; b="))
    }

    @Test("bodies: empty, only empty lines, no final line ending, bare LF, WSP at line ends and inside, bare CR", arguments: [
        ("", ""),
        ("\r\n", ""),
        ("\r\n\r\n\r\n", ""),
        ("  \t \r\n \r\n", ""),
        ("abc", "abc\r\n"),
        ("abc\r\n", "abc\r\n"),
        ("abc\r\n\r\n", "abc\r\n"),
        ("a\nb\n\n", "a\r\nb\r\n"),
        ("a\r\n\r\nb", "a\r\n\r\nb\r\n"),
        ("a\n\n \nb\n", "a\r\n\r\n\r\nb\r\n"),
        ("  lead\t\ttab  \r\n", " lead tab\r\n"),
        ("x\ry\r\n", "x\ry\r\n"),
        ("x \r\r\n", "x \r\r\n"),
        ("end\r", "end\r\r\n"),
        ("caf\u{e9} 8-bit \u{1F600}\n", "caf\u{e9} 8-bit \u{1F600}\r\n"),
    ])
    func bodies(input: String, expected: String) {
        #expect(Self.body(input) == expected, "\(input.debugDescription)")
        #expect(Self.body(input, pieceSize: 1) == expected, "fed one byte at a time: \(input.debugDescription)")
    }

    @Test("a body split anywhere hashes as the whole (a CR at the end of one piece, LF at the start of the next)")
    func piecesGiveTheSameHash() throws {
        let body = String(repeating: "line with  spaces \t\r\nbare lf\n\r\n", count: 500) + "\r\n\r\n"
        let message = Array(("From: a@example.org\r\n\r\n" + body).utf8)
        let whole = try DKIMMessage(message).bodyHash
        for size in [1, 2, 3, 7, 64] {
            #expect(Self.body(body, pieceSize: size) == Self.body(body))
        }
        #expect(whole.count == 32)
    }

    @Test("header parsing: folded fields stay one field, bare LF lines, the header ends at the first empty line")
    func headerParsing() throws {
        let message = try DKIMMessage(Self.bytes("From: Alice\n <alice@Example.ORG>\nSubject: a\n\tb\r\n\r\nTo: not-a-header\n"))
        #expect(message.fields.map(\.name) == ["From", "Subject"])
        #expect(message.fields[0].bytes == Self.bytes("From: Alice\r\n <alice@Example.ORG>"))
        #expect(message.fromDomain == "example.org")
        let bodyOnly = try DKIMMessage(Self.bytes("From: a@example.org\r\n\r\n"))
        #expect(bodyOnly.bodyHash == (try DKIMMessage(Self.bytes("From: a@example.org\n\n\n\n"))).bodyHash,
                "an empty body and empty lines hash alike")
    }

    @Test("the From domain: display names, groups, no From at all")
    func fromDomain() throws {
        #expect(try DKIMMessage(Self.bytes("From: \"Doe, J\" <j@sub.example.org>\r\n\r\n")).fromDomain == "sub.example.org")
        #expect(try DKIMMessage(Self.bytes("From: Team: a@team.example;\r\n\r\n")).fromDomain == "team.example")
        #expect(try DKIMMessage(Self.bytes("Subject: none\r\n\r\n")).fromDomain == nil)
    }

    private static func body(_ text: String, pieceSize: Int? = nil) -> String {
        var canonicalizer = DKIMRelaxedBodyCanonicalizer()
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + (pieceSize ?? bytes.count))
            out += canonicalizer.append(bytes[start..<end])
            start = end
        }
        out += canonicalizer.finish()
        return String(decoding: out, as: UTF8.self)
    }
}
