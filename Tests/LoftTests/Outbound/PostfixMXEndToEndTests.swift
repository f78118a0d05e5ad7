import Foundation
import Testing
import TestSupport

/// Loft's outbound queue against a real receiving MTA: a private Postfix 3.7 (Debian's `postfix`) as the MX of
/// `postfix.test`. Unlike the aiosmtpd MX servers, Postfix offers PIPELINING and DSN, refuses commands sent
/// ahead of time where RFC 2920 forbids it and bare LFs in the message, and logs every command it reads,
/// so these tests check the client's PIPELINING batch, DSN parameters, 8BITMIME and SMTPUTF8 from the
/// receiving side.
@Suite(.serialized, .enabled(if: TestPostfix.isUsable, "needs root and Debian's postfix (apt-get install postfix)"))
struct PostfixMXEndToEndTests {
    @Test("two recipients, one unknown: one PIPELINING batch over STARTTLS, the known one gets the message byte for byte, the sender a DSN for the other")
    func pipelinedDeliveryWithOneUnknownRecipient() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let postfix = try lab.startPostfix(mailboxes: ["bob": "bob"])
        try await lab.start()
        try await lab.submit(to: ["bob@postfix.test", "nobody@postfix.test"], message: Self.message)

        let delivered = try await postfix.waitForMessages(in: "bob", count: 1)
        let text = String(decoding: delivered[0], as: UTF8.self)
        let (postfixTrace, relayed) = try #require(Self.splitAfterPostfixTrace(text), "\(text)")
        #expect(postfixTrace.contains("by mx.postfix.test (Postfix) with ESMTPS"), "\(postfixTrace)")
        #expect(postfixTrace.contains("using TLSv1.3"), "\(postfixTrace)")
        // What Loft sent: its own Received field, then the submitted message unchanged (Maildir stores LF).
        let message = Self.message.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(relayed.hasSuffix(message), "\(relayed)")
        let loftTrace = relayed.dropLast(message.count)
        #expect(loftTrace.hasPrefix("Received: from ") && loftTrace.contains("by mail.example.org (Loft)"), "\(loftTrace)")
        #expect(loftTrace.split(separator: "\n").dropFirst().allSatisfy { $0.first == "\t" || $0.first == " " },
                "exactly one header field before the message: \(loftTrace)")

        // Postfix's side: TLS, then MAIL, both RCPT and DATA read in one go (RFC 2920 §3.1), answered in one write.
        _ = try await postfix.waitForLog(containing: ["Anonymous TLS connection established from", "TLSv1.3"])
        let batch = try await postfix.waitForLog(containing: ["Read ", " chars: MAIL FROM:<alice@example.org>"])
        let batchLength = try #require(Self.readLength(batch), "\(batch)")
        let smallestBatch = "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@postfix.test>\r\nRCPT TO:<nobody@postfix.test>\r\nDATA\r\n"
        #expect(batchLength >= smallestBatch.utf8.count, "MAIL, RCPT, RCPT and DATA in one read: \(batch)")
        #expect(postfix.log.contains("chars: 250 2.1.0 Ok??250 2.1.5 Ok??550 5.1.1"), "the replies to the batch in one write")
        #expect(postfix.log.contains("reject: RCPT from unknown[127.0.0.1]: 550 5.1.1 <nobody@postfix.test>"))
        #expect(!postfix.log.contains("improper command pipelining"), "\(postfix.log.suffix(3000))")

        // Loft's side: one connection decided both recipients; the sender hears about the refused one only.
        let attempt = try await lab.waitForLog(containing: ["delivery attempt", "mx=mx.postfix.test"])
        #expect(attempt.contains("delivered=1") && attempt.contains("failed=1") && attempt.contains("tls=TLSv1.3"), "\(attempt)")
        let report = try #require(try await lab.waitForAliceMessages(1).first)
        #expect(report.contains("Final-Recipient: rfc822; nobody@postfix.test"), "\(report)")
        #expect(report.contains("Action: failed") && report.contains("Status: 5.1.1"), "\(report)")
        #expect(report.contains("Remote-MTA: dns; mx.postfix.test"), "\(report)")
        #expect(report.contains("User unknown in virtual mailbox table"), "\(report)")
        #expect(!report.contains("Final-Recipient: rfc822; bob@postfix.test"), "\(report)")
        try await lab.waitForEmptyQueue()
        #expect(lab.aliceMessages().count == 1)
    }

    @Test("DSN parameters reach Postfix (RET, ENVID, NOTIFY, ORCPT): Postfix writes its own success DSN, and Loft sends no relayed notice")
    func dsnParametersPassedOn() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let postfix = try lab.startPostfix(mailboxes: ["bob": "bob"])
        try await lab.start()
        try await lab.submit(
            to: ["bob@postfix.test"], options: ["RET=HDRS", "ENVID=QQ314159"],
            recipientOptions: ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;bob@postfix.test"])

        let mail = try await postfix.waitForLog(containing: ["< unknown[127.0.0.1]: MAIL FROM:<alice@example.org>"])
        #expect(mail.contains(" RET=HDRS") && mail.contains(" ENVID=QQ314159"), "\(mail)")
        let rcpt = try await postfix.waitForLog(containing: ["< unknown[127.0.0.1]: RCPT TO:<bob@postfix.test>"])
        #expect(rcpt.contains(" NOTIFY=SUCCESS,FAILURE") && rcpt.contains(" ORCPT=rfc822;bob@postfix.test"), "\(rcpt)")

        // Postfix delivered, and (NOTIFY=SUCCESS) queued a success DSN to alice; it cannot send it on
        // (defer_transports = smtp), so it is read from Postfix's queue.
        let delivery = try await postfix.waitForLog(containing: ["to=<bob@postfix.test>", "relay=virtual", "status=sent"])
        #expect(delivery.contains("dsn=2.0.0"), "\(delivery)")
        let queueID = try #require(Self.queueID(delivery), "\(delivery)")
        let notice = try await postfix.waitForLog(containing: ["\(queueID): sender delivery status notification: "])
        let dsnID = String(try #require(notice.split(separator: " ").last))
        let dsn = try postfix.queuedMessage(id: dsnID)
        #expect(dsn.contains("recipient: alice@example.org"), "\(dsn)")
        #expect(dsn.contains("Original-Envelope-Id: QQ314159"), "\(dsn)")
        #expect(dsn.contains("Final-Recipient: rfc822; bob@postfix.test"), "\(dsn)")
        #expect(dsn.contains("Original-Recipient: rfc822;bob@postfix.test"), "\(dsn)")
        #expect(dsn.contains("Action: delivered") && dsn.contains("Status: 2.0.0"), "\(dsn)")
        #expect(dsn.contains("Content-Type: text/rfc822-headers") && dsn.contains("Subject: outbound"), "\(dsn)")
        #expect(!dsn.contains(".a line with a leading dot"), "RET=HDRS: Postfix returns the header only")

        // RFC 3461 §4.1: the next hop took over the DSN duty, so Loft itself reports nothing.
        try await lab.waitForEmptyQueue()
        #expect(lab.aliceMessages().isEmpty, "\(lab.aliceMessages())")
    }

    @Test("an 8-bit body to a non-ASCII recipient: BODY=8BITMIME and SMTPUTF8 on MAIL, accepted and delivered unchanged")
    func eightBitAndSMTPUTF8() async throws {
        let lab = try OutboundLab()
        defer { lab.cleanUp() }
        let postfix = try lab.startPostfix(mailboxes: ["ünïcode": "unicode"])
        try await lab.start()
        let message = "From: alice@example.org\r\nTo: ünïcode@postfix.test\r\nSubject: Grüße\r\nMessage-ID: <utf8@example.org>\r\n"
            + "Date: Mon, 07 Dec 2026 06:00:00 +0000\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Grüße aus Köln — 8 bits, ünïcode.\r\n"
        try await lab.submit(to: ["ünïcode@postfix.test"], message: message, options: ["BODY=8BITMIME", "SMTPUTF8"])

        let mail = try await postfix.waitForLog(containing: ["< unknown[127.0.0.1]: MAIL FROM:<alice@example.org>"])
        #expect(mail.contains(" BODY=8BITMIME") && mail.contains(" SMTPUTF8"), "\(mail)")
        _ = try await postfix.waitForLog(containing: ["< unknown[127.0.0.1]: RCPT TO:<ünïcode@postfix.test>"])
        let delivery = try await postfix.waitForLog(containing: ["to=<ünïcode@postfix.test>", "relay=virtual", "status=sent"])
        #expect(delivery.contains("dsn=2.0.0"), "\(delivery)")

        let delivered = try await postfix.waitForMessages(in: "unicode", count: 1)
        let text = String(decoding: delivered[0], as: UTF8.self)
        let (postfixTrace, relayed) = try #require(Self.splitAfterPostfixTrace(text), "\(text)")
        // RFC 6531 §3.7.3: a server that received the message with SMTPUTF8 over TLS says "with UTF8SMTPS".
        #expect(postfixTrace.contains("with UTF8SMTPS"), "\(postfixTrace)")
        #expect(relayed.hasSuffix(message.replacingOccurrences(of: "\r\n", with: "\n")), "the 8-bit bytes arrive unchanged: \(relayed)")
        try await lab.waitForEmptyQueue()
        #expect(lab.aliceMessages().isEmpty)
    }

    @Test("DKIM: the message Postfix stores (its trace fields added, LF line ends) still verifies with dkimpy, rsa and ed25519")
    func dkimSurvivesPostfix() async throws {
        let keys = try DKIMEndToEndTests.Keys(DKIMEndToEndTests.dualKeys)
        defer { keys.remove() }
        let lab = try OutboundLab(extraConfig: keys.config)
        defer { lab.cleanUp() }
        let postfix = try lab.startPostfix(mailboxes: ["bob": "bob"])
        try await lab.start()
        let message = DKIMEndToEndTests.message.replacingOccurrences(of: "bob@dest.test", with: "bob@postfix.test")
        try await lab.submit(to: ["bob@postfix.test"], message: message, options: ["BODY=8BITMIME"])
        let delivered = try await postfix.waitForMessages(in: "bob", count: 1)
        let text = String(decoding: delivered[0], as: UTF8.self)
        #expect(text.contains("by mx.postfix.test (Postfix)") && !text.contains("\r\n"), "Postfix's stored form: \(text)")
        let verdict = try DKIMVerifier.verify(delivered[0], records: try keys.records())
        #expect(verdict.signatures == [true, true], "\(verdict.log)\n\(text)")
        try await lab.waitForEmptyQueue()
    }

    /// OutboundLab's message with a Date field, so that Loft's submission adds none (RFC 6409 §8.3) and the
    /// relayed message is the submitted one after Loft's Received field.
    static let message = "From: alice@example.org\r\nTo: bob@postfix.test\r\nSubject: outbound\r\n"
        + "Date: Mon, 07 Dec 2026 06:00:00 +0000\r\nMessage-ID: <postfix@example.org>\r\n\r\n"
        + ".a line with a leading dot\r\nbody\r\n"

    /// A Maildir file Postfix delivered, split after Postfix's own lines (Return-Path, X-Original-To,
    /// Delivered-To and its Received field with its continuation lines): that Received field, and the rest,
    /// which is what the client sent.
    static func splitAfterPostfixTrace(_ text: String) -> (trace: String, rest: String)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let received = lines.firstIndex(where: { $0.hasPrefix("Received: ") }) else { return nil }
        var end = received + 1
        while end < lines.count, lines[end].first == "\t" || lines[end].first == " " { end += 1 }
        return (lines[received..<end].joined(separator: "\n"), lines[end...].joined(separator: "\n"))
    }

    /// The queue id in a Postfix log line "... postfix/virtual[123]: 2C63CFA82E4: to=<...>, ...".
    static func queueID(_ line: String) -> String? {
        guard let range = line.range(of: #"\]: [0-9A-F]+: "#, options: .regularExpression) else { return nil }
        return String(line[range].dropFirst(3).dropLast(2))
    }

    /// N in Postfix's TLS log line "... Read N chars: ...".
    static func readLength(_ line: String) -> Int? {
        guard let range = line.range(of: #"Read (\d+) chars"#, options: .regularExpression) else { return nil }
        return Int(line[range].split(separator: " ")[1])
    }
}
