import NIOCore
@testable import SMTP
import Testing

@Suite struct SMTPParserTests {
    private func parse(_ line: String) -> Result<SMTPCommand, SMTPParseError> {
        do throws(SMTPParseError) {
            return .success(try SMTPParser.parseCommand(ByteBuffer(string: line)))
        } catch {
            return .failure(error)
        }
    }

    static let valid: [(String, SMTPCommand)] = [
        ("EHLO client.example", .ehlo("client.example")),
        ("ehlo [127.0.0.1]", .ehlo("[127.0.0.1]")),
        ("HELO client", .helo("client")),
        ("DATA", .data),
        ("data", .data),
        ("RSET", .rset),
        ("NOOP", .noop),
        ("NOOP anything", .noop),
        ("QUIT", .quit),
        ("HELP", .help),
        ("VRFY bob", .vrfy("bob")),
        ("STARTTLS", .startTLS),
        ("StartTLS", .startTLS),
        ("BDAT 100", .bdat(size: 100, last: false)),
        ("bdat 0 last", .bdat(size: 0, last: true)),
        ("AUTH PLAIN", .auth(mechanism: "PLAIN", initialResponse: nil)),
        ("AUTH plain AGFsaWNlAHB3", .auth(mechanism: "plain", initialResponse: "AGFsaWNlAHB3")),
        ("AUTH LOGIN =", .auth(mechanism: "LOGIN", initialResponse: "=")),
        ("MAIL FROM:<alice@example.org>", .mail(SMTPMailFrom(address: "alice@example.org"))),
        ("mail from:<alice@example.org>", .mail(SMTPMailFrom(address: "alice@example.org"))),
        ("MAIL FROM: <alice@example.org>", .mail(SMTPMailFrom(address: "alice@example.org"))),
        ("MAIL FROM:<>", .mail(SMTPMailFrom(address: ""))),
        ("MAIL FROM:<@relay.example:alice@example.org>", .mail(SMTPMailFrom(address: "alice@example.org"))),
        ("MAIL FROM:<\"odd > local\"@example.org>", .mail(SMTPMailFrom(address: "\"odd > local\"@example.org"))),
        ("MAIL FROM:<alice@[192.0.2.1]>", .mail(SMTPMailFrom(address: "alice@[192.0.2.1]"))),
        ("MAIL FROM:<alice@example.org> SIZE=1000 body=8bitmime", .mail(SMTPMailFrom(
            address: "alice@example.org", size: 1000, body: .eightBitMIME, hasParameters: true))),
        ("MAIL FROM:<alice@example.org> BODY=7BIT", .mail(SMTPMailFrom(address: "alice@example.org", body: .sevenBit, hasParameters: true))),
        ("MAIL FROM:<älice@example.org> SMTPUTF8", .mail(SMTPMailFrom(address: "älice@example.org", smtpUTF8: true, hasParameters: true))),
        ("MAIL FROM:<alice@example.org> AUTH=<>", .mail(SMTPMailFrom(address: "alice@example.org", hasParameters: true))),
        ("MAIL FROM:<alice@example.org> AUTH=alice+40example.org", .mail(SMTPMailFrom(address: "alice@example.org", hasParameters: true))),
        ("MAIL FROM:<alice@example.org> RET=hdrs ENVID=QQ314159+2B1", .mail(SMTPMailFrom(
            address: "alice@example.org", ret: "HDRS", envelopeID: "QQ314159+2B1", hasParameters: true))),
        ("RCPT TO:<bob@example.net>", .rcpt(SMTPRcptTo(recipient: SMTPRecipient(address: "bob@example.net")))),
        ("rcpt to:<Postmaster>", .rcpt(SMTPRcptTo(recipient: SMTPRecipient(address: "Postmaster")))),
        ("RCPT TO:<bob@example.net> NOTIFY=success,failure ORCPT=rfc822;bob+2Bx@example.net", .rcpt(SMTPRcptTo(
            recipient: SMTPRecipient(address: "bob@example.net", notify: ["SUCCESS", "FAILURE"], originalRecipient: "rfc822;bob+2Bx@example.net"),
            hasParameters: true))),
        ("RCPT TO:<bob@example.net> NOTIFY=NEVER", .rcpt(SMTPRcptTo(
            recipient: SMTPRecipient(address: "bob@example.net", notify: ["NEVER"]), hasParameters: true))),
    ]

    @Test("valid commands, any case", arguments: valid)
    func validCommands(line: String, expected: SMTPCommand) {
        #expect(parse(line) == .success(expected))
    }

    static let invalid: [(String, Int, String)] = [
        ("", 500, "5.5.1"),
        ("FROB", 500, "5.5.1"),
        ("MAIL\u{0}FROM", 500, "5.5.2"),
        ("EHLO", 501, "5.5.4"),
        ("EHLO a b", 501, "5.5.4"),
        ("DATA now", 501, "5.5.4"),
        ("STARTTLS x", 501, "5.5.4"),
        ("QUIT please", 501, "5.5.4"),
        ("BDAT", 501, "5.5.4"),
        ("BDAT -1", 501, "5.5.4"),
        ("BDAT 10 FIRST", 501, "5.5.4"),
        ("AUTH", 501, "5.5.4"),
        ("MAIL TO:<a@b.c>", 501, "5.5.4"),
        ("MAIL FROM:alice@example.org", 501, "5.1.7"),
        ("MAIL FROM:<alice>", 501, "5.1.7"),
        ("MAIL FROM:<alice@>", 501, "5.1.7"),
        ("MAIL FROM:<a..b@example.org>", 501, "5.1.7"),
        ("MAIL FROM:<alice@exa mple.org>", 501, "5.1.7"),
        ("MAIL FROM:<alice@-example.org>", 501, "5.1.7"),
        ("MAIL FROM:<alice@example.org", 501, "5.1.7"),
        ("MAIL FROM:<alice@example.org>SIZE=1", 501, "5.1.7"),
        ("MAIL FROM:<\(String(repeating: "a", count: 65))@example.org>", 501, "5.1.7"),
        ("RCPT TO:<>", 501, "5.1.3"),
        ("RCPT TO:<bob>", 501, "5.1.3"),
        ("RCPT TO:bob@example.net", 501, "5.1.3"),
        ("MAIL FROM:<a@b.c> FOO=bar", 555, "5.5.4"),
        ("MAIL FROM:<a@b.c> BODY=BINARYMIME", 555, "5.5.4"),
        ("MAIL FROM:<a@b.c> SIZE=big", 501, "5.5.4"),
        ("MAIL FROM:<a@b.c> SIZE=1 SIZE=2", 501, "5.5.4"),
        ("MAIL FROM:<a@b.c> RET=ALL", 501, "5.5.4"),
        ("MAIL FROM:<a@b.c> ENVID=a+zz", 501, "5.5.4"),
        ("RCPT TO:<a@b.c> FOO", 555, "5.5.4"),
        ("RCPT TO:<a@b.c> NOTIFY=NEVER,SUCCESS", 501, "5.5.4"),
        ("RCPT TO:<a@b.c> NOTIFY=SOMETIMES", 501, "5.5.4"),
        ("RCPT TO:<a@b.c> ORCPT=bob@example.net", 501, "5.5.4"),
    ]

    @Test("invalid commands get the right code and enhanced status", arguments: invalid)
    func invalidCommands(line: String, code: Int, enhanced: String) throws {
        guard case .failure(let error) = parse(line) else {
            Issue.record("\(line) parsed")
            return
        }
        #expect(error.reply.code == code)
        #expect(error.reply.lines[0].hasPrefix(enhanced + " "))
    }

    @Test("multi-line replies use code-hyphen on all but the last line")
    func replyEncoding() {
        #expect(SMTPReply(250, lines: ["a", "b", "c"]).encoded == "250-a\r\n250-b\r\n250 c\r\n")
        #expect(SMTPReply(334, "").encoded == "334 \r\n")
    }
}
