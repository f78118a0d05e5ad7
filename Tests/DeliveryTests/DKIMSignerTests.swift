@testable import Delivery
import Foundation
import NIOCore
import LineProtocol
import Testing
import TestSupport
import TLS

/// DKIM-Signature fields made by `DKIMSigner`, checked by dkimpy over the bytes Loft's SMTP client sends.
@Suite struct DKIMSignerTests {
    private static let message = """
        Received: from client by loft; Mon, 7 Dec 2026 10:00:00 +0000
        From: Alice <alice@example.org>
        To: bob@dest.test,
         carol@dest.test
        Cc: dave@dest.test
        Subject: =?utf-8?q?caf=C3=A9?=   with  spaces
        Date: Mon, 7 Dec 2026 10:00:00 +0000
        Message-ID: <signer@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit
        X-Not-Signed: whatever

        caf\u{e9} 8-bit body   with trailing spaces\u{20}\u{20}
        .a line with a leading dot

        last line without a line ending
        """

    @Test("the header list: each present field as often as it occurs, From once more, absent ones left out")
    func headerList() throws {
        let message = try DKIMMessage(Array("From: a@example.org\r\nReceived: x\r\nTo: b@x.test\r\nTo: c@x.test\r\nSubject: s\r\n\r\n".utf8))
        #expect(DKIMSigner.headerList(for: message.fields) == ["From", "To", "To", "Subject", "From"])
    }

    @Test("the field is folded below 78 columns with CRLF + SP and carries every tag", arguments: DKIMSigningKey.Algorithm.allCases)
    func folding(algorithm: DKIMSigningKey.Algorithm) throws {
        let (key, directory) = try Self.key(algorithm)
        defer { directory.remove() }
        let field = try DKIMSigner.signatureField(
            for: try DKIMMessage(Array(Self.message.utf8)), domain: "example.org", selector: "sel", key: key,
            time: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(field.hasPrefix("DKIM-Signature: v=1; a=\(algorithm.rawValue); c=relaxed/relaxed;"))
        #expect(field.hasSuffix("\r\n"))
        let lines = field.dropLast(2).components(separatedBy: "\r\n")
        #expect(lines.count > 1)
        for (index, line) in lines.enumerated() {
            #expect(line.utf8.count <= 76, "\(line)")
            if index > 0 { #expect(line.hasPrefix(" "), "\(line)") }
        }
        let unfolded = lines.joined()
        #expect(unfolded.contains(" d=example.org; s=sel; "), "\(unfolded)")
        #expect(unfolded.contains("t=1800000000;"))
        #expect(unfolded.replacingOccurrences(of: " ", with: "").contains(
            "h=From:To:Cc:Subject:Date:Message-ID:MIME-Version:Content-Type:Content-Transfer-Encoding:From;"))
        #expect(unfolded.contains("bh=") && unfolded.contains("b="))
    }

    @Test("dkimpy verifies the signature over what the client transmits: CRLF and bare-LF input", arguments: [
        (DKIMSigningKey.Algorithm.rsaSHA256, "\r\n"), (.ed25519SHA256, "\r\n"), (.rsaSHA256, "\n"), (.ed25519SHA256, "\n"),
    ])
    func dkimpyVerifies(algorithm: DKIMSigningKey.Algorithm, lineEnd: String) throws {
        let (key, directory) = try Self.key(algorithm)
        defer { directory.remove() }
        let stored = Array(Self.message.replacingOccurrences(of: "\n", with: lineEnd).utf8)
        let field = try DKIMSigner.signatureField(
            for: try DKIMMessage(stored), domain: "example.org", selector: "sel", key: key, time: Date())
        let sent = Self.transmitted(prefix: Array(field.utf8), stored)
        let record = DKIMDNSRecord(domain: "example.org", selector: "sel", key: key)
        let verdict = try DKIMVerifier.verify(sent, records: ["sel._domainkey.example.org": record.value])
        #expect(verdict.signatures == [true], "\(verdict.log)")

        // Changing a signed field, adding a second From, or changing the body breaks it.
        for tampered in [
            String(decoding: sent, as: UTF8.self).replacingOccurrences(of: "Subject: =?utf", with: "Subject: =?UTF"),
            String(decoding: sent, as: UTF8.self).replacingOccurrences(of: "X-Not-Signed", with: "From: mallory@evil.test\r\nX-Not-Signed"),
            String(decoding: sent, as: UTF8.self).replacingOccurrences(of: "last line", with: "Last line"),
        ] {
            let broken = try DKIMVerifier.verify(Array(tampered.utf8), records: ["sel._domainkey.example.org": record.value])
            #expect(broken.signatures == [false], "\(tampered)")
        }
    }

    @Test("an empty body and trailing empty lines sign and verify")
    func emptyBody() throws {
        let (key, directory) = try Self.key(.rsaSHA256)
        defer { directory.remove() }
        let record = DKIMDNSRecord(domain: "example.org", selector: "sel", key: key)
        for stored in ["From: a@example.org\r\nSubject: empty\r\n\r\n", "From: a@example.org\r\nSubject: blank\r\n\r\n\r\n\r\n",
                       "From: a@example.org\nSubject: no body"] {
            let field = try DKIMSigner.signatureField(
                for: try DKIMMessage(Array(stored.utf8)), domain: "example.org", selector: "sel", key: key, time: Date())
            let verdict = try DKIMVerifier.verify(
                Self.transmitted(prefix: Array(field.utf8), Array(stored.utf8)), records: ["sel._domainkey.example.org": record.value])
            #expect(verdict.signatures == [true], "\(stored.debugDescription): \(verdict.log)")
        }
    }

    @Test("the DNS record: name, k= tag, and character-strings of at most 255 bytes that join to the value")
    func dnsRecord() throws {
        let (key, directory) = try Self.key(.rsaSHA256)
        defer { directory.remove() }
        let record = DKIMDNSRecord(domain: "Example.ORG", selector: "loft202612", key: key)
        #expect(record.name == "loft202612._domainkey.example.org.")
        #expect(record.value.hasPrefix("v=DKIM1; k=rsa; p=MII"))
        #expect(DKIMVerifier.txtValue(ofZoneLine: record.zoneFileLine) == record.value)
        #expect(record.zoneFileLine.hasPrefix("loft202612._domainkey.example.org. IN TXT \"v=DKIM1; k=rsa; p="))
    }

    @Test("RFC 8463 Appendix A: the example's body hash, and its Ed25519 signature reproduced byte for byte from its key")
    func rfc8463Example() throws {
        let header = [
            "From: Joe SixPack <joe@football.example.com>",
            "To: Suzie Q <suzie@shopping.example.net>",
            "Subject: Is dinner ready?",
            "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
            "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
        ]
        let body = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n"
        let message = try DKIMMessage(Array((header.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8))
        #expect(Data(message.bodyHash).base64EncodedString() == "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=")

        // The example's signature field with its b= value taken out (RFC 6376 §3.7), h=from:to:subject:date:
        // message-id:from:subject:date (the second from, subject and date match nothing: null strings).
        let signatureField = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
            + " d=football.example.com; i=@football.example.com;\r\n"
            + " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
            + " subject : date : message-id : from : subject : date;\r\n"
            + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
            + " b="
        var input = message.fields.flatMap { DKIMRelaxedHeader.canonical($0.bytes) }
        input += DKIMRelaxedHeader.canonical(Array(signatureField.utf8), lineEnd: false)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // PKCS#8 around the RFC's Ed25519 private key.
        let seed = try #require(Data(base64Encoded: "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="))
        let der = Data([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]) + seed
        let path = try directory.write("-----BEGIN PRIVATE KEY-----\n\(der.base64EncodedString())\n-----END PRIVATE KEY-----\n", to: "rfc8463.pem")
        let signature = try DKIMSigningKey(path: path).sign(input)
        #expect(Data(signature).base64EncodedString()
            == "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==")
    }

    /// The bytes the receiving server gets: what `SMTPClientConnection` sends (the prefix, then the file,
    /// through the dot-stuffer), dot-unstuffed again without the final ".".
    static func transmitted(prefix: [UInt8], _ stored: [UInt8]) -> [UInt8] {
        var stuffer = DotStuffer()
        var buffer = ByteBuffer()
        stuffer.append(prefix, into: &buffer)
        stuffer.append(stored, into: &buffer)
        stuffer.finish(into: &buffer)
        let wire = String(decoding: buffer.readableBytesView, as: UTF8.self)
        let lines = wire.components(separatedBy: "\r\n").dropLast(2)  // ".", and the empty rest after it
        return Array(lines.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }.joined(separator: "\r\n").utf8) + Array("\r\n".utf8)
    }

    static func key(_ algorithm: DKIMSigningKey.Algorithm) throws -> (DKIMSigningKey, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/key.pem"
        try DKIMSigningKey.generate(algorithm, path: path)
        return (try DKIMSigningKey(path: path), directory)
    }
}
