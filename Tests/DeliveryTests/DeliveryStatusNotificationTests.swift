@testable import Delivery
import Foundation
import Testing
import TestSupport

@Suite("Outbound: delivery status notifications")
struct DeliveryStatusNotificationTests {
    static let arrival = Date(timeIntervalSince1970: 1_700_000_000)
    static let now = Date(timeIntervalSince1970: 1_700_003_600)
    static let header = Array("From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\n".utf8)
    static let body = Array("Hi Bob,\r\n\r\nsee you.\r\n".utf8)

    static let bobFailed = DSNRecipientReport(
        finalRecipient: "bob@example.net", originalRecipient: "rfc822;bob+2Bold@example.net", action: .failed,
        status: "5.1.1", remoteMTA: "mx.example.net", diagnostic: "smtp; 550 5.1.1 <bob@example.net>: no such user",
        lastAttempt: now)
    static let carolDelayed = DSNRecipientReport(
        finalRecipient: "carol@example.net", action: .delayed, status: "4.4.1", remoteMTA: "mx2.example.net",
        diagnostic: "X-Loft; connection timed out", lastAttempt: now, willRetryUntil: now.addingTimeInterval(4 * 86_400))
    static let daveDelivered = DSNRecipientReport(
        finalRecipient: "dave@example.net", action: .delivered, status: "2.0.0", remoteMTA: "mx.example.net",
        diagnostic: "smtp; 250 2.0.0 Ok: queued")

    static func report(_ recipients: [DSNRecipientReport], ret: DSNReturn = .headers, envid: String? = "QQ+2B1") -> DeliveryStatusNotification {
        DeliveryStatusNotification(
            reportingMTA: "mail.example.org", postmaster: "MAILER-DAEMON@mail.example.org",
            recipientOfReport: "alice@example.org", originalEnvelopeID: envid, arrivalDate: arrival,
            recipients: recipients, returnContent: ret, now: now, messageID: "dsn.1@mail.example.org")
    }

    @Test("a failure with RET=HDRS, read back by Python's email package")
    func failureWithHeaders() throws {
        let bytes = Self.report([Self.bobFailed, Self.carolDelayed]).render(originalHeader: Self.header, originalBody: Self.body)
        Self.expectWellFormedLines(bytes)
        let parsed = try PythonEmail.parse(bytes)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.headers["From"] == "Mail Delivery System <MAILER-DAEMON@mail.example.org>")
        #expect(parsed.headers["To"] == "<alice@example.org>" || parsed.headers["To"] == "alice@example.org")
        #expect(parsed.headers["Subject"] == "Undelivered Mail Returned to Sender")
        #expect(parsed.headers["Date"] == "Tue, 14 Nov 2023 23:13:20 +0000")
        #expect(parsed.headers["Message-ID"] == "<dsn.1@mail.example.org>")
        #expect(parsed.headers["Auto-Submitted"] == "auto-replied")
        #expect(parsed.headers["MIME-Version"] == "1.0")
        #expect(parsed.contentType == "multipart/report")
        #expect(parsed.reportType == "delivery-status")
        #expect(parsed.parts.map(\.type) == ["text/plain", "message/delivery-status", "text/rfc822-headers"])

        let blocks = try #require(parsed.statusBlocks)
        #expect(blocks.count == 3)
        #expect(blocks[0] == [
            "Reporting-MTA": "dns; mail.example.org", "Original-Envelope-Id": "QQ+1",
            "Arrival-Date": "Tue, 14 Nov 2023 22:13:20 +0000",
        ])
        #expect(blocks[1] == [
            "Original-Recipient": "rfc822; bob+old@example.net", "Final-Recipient": "rfc822; bob@example.net",
            "Action": "failed", "Status": "5.1.1", "Remote-MTA": "dns; mx.example.net",
            "Diagnostic-Code": "smtp; 550 5.1.1 <bob@example.net>: no such user",
            "Last-Attempt-Date": "Tue, 14 Nov 2023 23:13:20 +0000",
        ])
        #expect(blocks[2]["Action"] == "delayed")
        #expect(blocks[2]["Status"] == "4.4.1")
        #expect(blocks[2]["Will-Retry-Until"] == "Sat, 18 Nov 2023 23:13:20 +0000")
        #expect(blocks[2]["Original-Recipient"] == nil)

        // The person reading it learns who, why, and whether it is final (lines are wrapped for reading).
        let text = parsed.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("bob@example.net Reason: the address does not exist there (5.1.1)"))
        #expect(text.contains("The server said (mx.example.net): 550 5.1.1 <bob@example.net>: no such user"))
        #expect(text.contains("stopped trying"))
        #expect(text.contains("carol@example.net"))
        #expect(text.contains("keeps trying"))
        #expect(text.contains("Still trying until Sat, 18 Nov 2023"))
        #expect(text.contains("headers of your message are attached"))

        let returned = try #require(parsed.returnedText)
        #expect(returned.contains("Subject: hello"))
        #expect(!returned.contains("see you"))
    }

    @Test("RET=FULL returns the whole message as message/rfc822 when it fits")
    func failureWithFullMessage() throws {
        let bytes = Self.report([Self.bobFailed], ret: .full).render(originalHeader: Self.header, originalBody: Self.body)
        let parsed = try PythonEmail.parse(bytes)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.parts.map(\.type) == ["text/plain", "message/delivery-status", "message/rfc822"])
        #expect(parsed.returnedSubject == "hello")
        #expect(parsed.returnedBody == "Hi Bob,\r\n\r\nsee you.\r\n" || parsed.returnedBody == "Hi Bob,\n\nsee you.\n")
        #expect(parsed.text.contains("Your message is attached"))
    }

    @Test("RET=FULL over the size cap, or without a body, returns the headers only")
    func sizeCap() throws {
        let big = Array(repeating: UInt8(ascii: "x"), count: 70) + [0x0D, 0x0A]
        let body = Array((0..<2000).map { _ in big }.joined())
        let bytes = Self.report([Self.bobFailed], ret: .full).render(
            originalHeader: Self.header, originalBody: body, maximumReturnedBytes: 100_000)
        #expect(bytes.count < 10_000)
        let parsed = try PythonEmail.parse(bytes)
        #expect(parsed.parts.last?.type == "text/rfc822-headers")
        #expect(parsed.text.contains("too large to return whole"))

        let headerOnly = try PythonEmail.parse(Self.report([Self.bobFailed], ret: .full).render(originalHeader: Self.header, originalBody: nil))
        #expect(headerOnly.parts.last?.type == "text/rfc822-headers")
    }

    @Test("a header larger than the cap is cut at a line end")
    func headerCap() throws {
        var header = ""
        for index in 0..<100 { header += "X-Filler-\(index): " + String(repeating: "y", count: 60) + "\r\n" }
        let bytes = Self.report([Self.bobFailed]).render(originalHeader: Array(header.utf8), originalBody: nil, maximumReturnedBytes: 1000)
        let parsed = try PythonEmail.parse(bytes)
        let returned = try #require(parsed.returnedText)
        #expect(returned.utf8.count <= 1002)
        #expect(returned.hasPrefix("X-Filler-0: "))
        #expect(returned.hasSuffix("y\r\n") || returned.hasSuffix("y\n"))
    }

    @Test("a delay report: its subject, headers only whatever RET says, Will-Retry-Until")
    func delay() throws {
        let bytes = Self.report([Self.carolDelayed], ret: .full).render(originalHeader: Self.header, originalBody: Self.body)
        let parsed = try PythonEmail.parse(bytes)
        #expect(parsed.headers["Subject"] == "Delayed Mail (still being retried)")
        #expect(parsed.parts.last?.type == "text/rfc822-headers")
        #expect(parsed.statusBlocks?.last?["Will-Retry-Until"] != nil)
        #expect(!parsed.text.contains("stopped trying"))
    }

    @Test("a success report; Will-Retry-Until only for delayed; no ENVID field without ENVID")
    func success() throws {
        var delivered = Self.daveDelivered
        delivered.willRetryUntil = Self.now
        let parsed = try PythonEmail.parse(Self.report([delivered], envid: nil).render(originalHeader: Self.header, originalBody: nil))
        #expect(parsed.headers["Subject"] == "Successful Mail Delivery Report")
        #expect(parsed.statusBlocks?.first?["Original-Envelope-Id"] == nil)
        #expect(parsed.statusBlocks?.last?["Action"] == "delivered")
        #expect(parsed.statusBlocks?.last?["Will-Retry-Until"] == nil)
        #expect(parsed.text.contains("was delivered to"))
    }

    @Test("the boundary never occurs in the content")
    func boundary() throws {
        var report = Self.report([Self.bobFailed], ret: .full)
        report.fixedBoundary = "=_collides"
        let body = Array("a line with =_collides in it\r\n".utf8)
        let bytes = report.render(originalHeader: Self.header, originalBody: body)
        let parsed = try PythonEmail.parse(bytes)
        let boundary = try #require(parsed.boundary)
        #expect(boundary != "=_collides")
        #expect(parsed.returnedBody?.contains("=_collides") == true)
        // The boundary occurs exactly as the four delimiters (three parts and the close).
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.components(separatedBy: boundary).count - 1 == 5)  // the Content-Type parameter too
    }

    @Test("reply text cannot add fields, and long fields are folded below 998 bytes")
    func injection() throws {
        let hostile = DSNRecipientReport(
            finalRecipient: "bob@example.net", action: .failed, status: "5.0.0", remoteMTA: "mx.example.net",
            diagnostic: "smtp; 550 bad\r\nAction: delivered\nX-Evil: 1 " + String(repeating: "word ", count: 400))
        let bytes = Self.report([hostile]).render(originalHeader: Self.header, originalBody: nil)
        Self.expectWellFormedLines(bytes)
        let parsed = try PythonEmail.parse(bytes)
        let block = try #require(parsed.statusBlocks?.last)
        #expect(block["Action"] == "failed")
        #expect(block["X-Evil"] == nil)
        #expect(block["Diagnostic-Code"]?.hasPrefix("smtp; 550 bad Action: delivered X-Evil: 1 word word") == true)
    }

    @Test("bare LF and CR in the original become CRLF")
    func lineEnds() throws {
        let header = Array("Subject: lf\nFrom: a@example.org\rTo: b@example.net\n\n".utf8)
        let bytes = Self.report([Self.bobFailed], ret: .full).render(originalHeader: header, originalBody: Array("one\ntwo\n".utf8))
        Self.expectWellFormedLines(bytes)
        let parsed = try PythonEmail.parse(bytes)
        #expect(parsed.returnedSubject == "lf")
    }

    @Test("a UTF-8 original and a UTF-8 recipient use the RFC 6533 types")
    func global() throws {
        let header = Array("From: Jos\u{e9} <jos\u{e9}@example.org>\r\nSubject: caf\u{e9}\r\n".utf8)
        let recipient = DSNRecipientReport(
            finalRecipient: "m\u{fc}ller@example.de", originalRecipient: "utf-8;m\\x{FC}ller@example.de", action: .failed,
            status: "5.1.1", diagnostic: "smtp; 550 5.1.1 unknown")
        let bytes = Self.report([recipient]).render(originalHeader: header, originalBody: nil)
        Self.expectWellFormedLines(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("report-type=global-delivery-status;"))
        #expect(text.contains("Content-Type: message/global-delivery-status\r\nContent-Transfer-Encoding: 8bit\r\n"))
        #expect(text.contains("Content-Type: message/global-headers\r\nContent-Transfer-Encoding: 8bit\r\n"))
        #expect(text.contains("Final-Recipient: utf-8; m\u{fc}ller@example.de\r\n"))
        #expect(text.contains("Original-Recipient: utf-8; m\u{fc}ller@example.de\r\n"))
        #expect(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"))
        let parsed = try PythonEmail.parse(bytes)
        #expect(parsed.parts.map(\.type) == ["text/plain", "message/global-delivery-status", "message/global-headers"])

        // An ASCII header with an 8-bit body stays message/rfc822, marked 8bit.
        let full = Self.report([Self.bobFailed], ret: .full).render(originalHeader: Self.header, originalBody: Array("caf\u{e9}\r\n".utf8))
        #expect(String(decoding: full, as: UTF8.self).contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n"))
        #expect(try PythonEmail.parse(full).parts.last?.type == "message/rfc822")
    }

    @Test("which reports a recipient asked for (RFC 3461 §4.1)", arguments: [
        (DSNAction.failed, nil, true), (.delayed, nil, true), (.delivered, nil, false), (.relayed, nil, false),
        (.failed, [.never], false), (.delayed, [.never], false), (.delivered, [.never], false),
        (.failed, [.success], false), (.delivered, [.success], true), (.relayed, [.success], true), (.expanded, [.success], true),
        (.failed, [.failure], true), (.delayed, [.failure], false), (.delayed, [.delay, .failure], true),
        (.delivered, [.delay, .failure], false),
    ] as [(DSNAction, [DSNNotify]?, Bool)])
    func policy(action: DSNAction, notify: [DSNNotify]?, report: Bool) {
        #expect(DSNPolicy.shouldReport(action: action, notify: notify) == report)
    }

    static func expectWellFormedLines(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        var lineLength = 0
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A {
                #expect(previous == 0x0D, "bare LF", sourceLocation: sourceLocation)
                lineLength = 0
            } else if previous == 0x0D {
                Issue.record("bare CR", sourceLocation: sourceLocation)
            } else {
                lineLength += 1
                if lineLength == 999 { Issue.record("line over 998 bytes", sourceLocation: sourceLocation) }
            }
            previous = byte
        }
        #expect(bytes.suffix(2) == [0x0D, 0x0A], sourceLocation: sourceLocation)
    }
}

@Suite("Outbound: xtext and dates")
struct XTextAndDateTests {
    @Test("xtext decodes", arguments: [
        ("bob+2Bold@example.net", "bob+old@example.net"), ("a+20b", "a b"), ("a+2bb", "a+b"), ("", ""),
        ("caf+C3+A9", "caf\u{e9}"), ("a+2", nil), ("a+ZZ", nil), ("a b", nil), ("a=b", nil), ("+FF", nil),
    ] as [(String, String?)])
    func decode(xtext: String, text: String?) {
        #expect(XText.decode(xtext) == text)
    }

    @Test("utf-8-addr-xtext escapes only in the utf-8 form")
    func utf8Form() {
        #expect(XText.decode("m\\x{FC}ller@example.de", utf8AddressForm: true) == "m\u{fc}ller@example.de")
        #expect(XText.decode("\\x{1F600}", utf8AddressForm: true) == "\u{1F600}")
        #expect(XText.decode("\\x{D800}", utf8AddressForm: true) == nil)
        #expect(XText.decode("\\x{}", utf8AddressForm: true) == nil)
        #expect(XText.decode("\\x{FC", utf8AddressForm: true) == nil)
        #expect(XText.decode("m\\x{FC}ller") == "m\\x{FC}ller")
    }

    @Test("xtext round-trips random text", arguments: 0..<10)
    func roundTrip(seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed))
        let text = String((0..<40).map { _ in Character(UnicodeScalar(UInt8.random(in: 0...0x7F, using: &random))) }) + "\u{e9}+="
        let encoded = XText.encode(text)
        #expect(encoded.utf8.allSatisfy { (33...126).contains($0) && $0 != UInt8(ascii: "=") })
        #expect(XText.decode(encoded) == text)
    }

    @Test("RFC 5322 dates in UTC", arguments: [
        (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"), (-1.0, "Wed, 31 Dec 1969 23:59:59 +0000"),
        (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 +0000"), (1_700_000_000.5, "Tue, 14 Nov 2023 22:13:20 +0000"),
        (4_107_542_400.0, "Mon, 01 Mar 2100 00:00:00 +0000"),
    ])
    func dates(seconds: Double, text: String) {
        #expect(MailDate.format(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test("dates agree with Foundation's formatter", arguments: 0..<5)
    func datesAgainstFoundation(seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        for _ in 0..<200 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...6_000_000_000, using: &random)))
            #expect(MailDate.format(date) == formatter.string(from: date))
        }
    }
}

/// The report as Python's `email` package reads it (the standard library's MIME parser, a real consumer).
struct PythonEmail: Decodable {
    struct Part: Decodable {
        var type: String
        var cte: String?
    }

    var headers: [String: String]
    var contentType: String
    var reportType: String?
    var boundary: String?
    var defects: [String]
    var parts: [Part]
    var text: String
    var statusBlocks: [[String: String]]?
    var returnedText: String?
    var returnedSubject: String?
    var returnedBody: String?

    static let script = #"""
    import sys, json, email, email.policy
    msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
    out = {"headers": {k: str(v) for k, v in msg.items()}, "contentType": msg.get_content_type(),
           "reportType": msg.get_param("report-type"), "boundary": msg.get_boundary(),
           "defects": [repr(d) for d in msg.defects], "parts": []}
    parts = msg.get_payload()
    for part in parts:
        out["parts"].append({"type": part.get_content_type(), "cte": part.get("Content-Transfer-Encoding")})
        out["defects"] += [repr(d) for d in part.defects]
    out["text"] = parts[0].get_content()
    if parts[1].get_content_type() == "message/delivery-status":
        out["statusBlocks"] = [{k: str(v) for k, v in block.items()} for block in parts[1].get_payload()]
    returned = parts[2]
    if returned.get_content_type() == "message/rfc822":
        inner = returned.get_payload(0)
        out["returnedSubject"] = str(inner["Subject"])
        out["returnedBody"] = inner.get_payload()
    else:
        payload = returned.get_payload(decode=True)
        out["returnedText"] = payload.decode("utf-8", "replace") if payload is not None else str(returned.get_payload())
    print(json.dumps(out))
    """#

    static func parse(_ bytes: [UInt8]) throws -> PythonEmail {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try input.fileHandleForWriting.write(contentsOf: Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PythonFailure(message: errorText)
        }
        return try JSONDecoder().decode(PythonEmail.self, from: data)
    }

    struct PythonFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "python3 failed: \(message)" }
    }
}
