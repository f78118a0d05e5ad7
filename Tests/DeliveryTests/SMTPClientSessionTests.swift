@testable import Delivery
import Foundation
import Testing

/// Whole conversations for the outbound SMTP client. Each script is both input and expected output:
/// `S:` lines are what the server sends (one or more replies in one read, parsed by `SMTPReplyParser`),
/// `tls ok` / `tls rejected: …` / `lost: …` / `bad reply` are events from the glue, and everything else is
/// what the session must answer, in order: `C: a | b` is one write of the lines a and b, then `starttls`,
/// `message` and `close`.
@Suite("Outbound SMTP: client session conversations")
struct SMTPClientSessionTests {
    static let bob = RemoteRecipient(address: "bob@example.net", notify: [.success, .failure], orcpt: "rfc822;bob+2Bx@example.net")
    static let carol = RemoteRecipient(address: "carol@example.net")
    static let dave = RemoteRecipient(address: "dave@example.net", notify: [.never])
    static let plain = OutboundMessage(sender: "alice@example.org", recipients: [bob, carol], size: 1234)

    static let ehloPipelining = "S: 250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10000000\r\n250-8BITMIME\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES"
    static let ehloPlain = "S: 250-mx.example.net\r\n250 8BITMIME"
    static let ehloStartTLS = "S: 250-mx.example.net\r\n250-PIPELINING\r\n250 STARTTLS"

    struct Conversation: CustomTestStringConvertible, Sendable {
        var name: String
        var message: OutboundMessage = SMTPClientSessionTests.plain
        var tls: ClientTLSMode = .opportunistic
        var credentials: ClientCredentials?
        var script: [String]
        /// One per recipient: `delivered 250`, `deferred 4.7.4`, `failed 5.1.1`.
        var results: [String]
        var tryNextHost: Bool
        /// Text that must appear in every failure's diagnostic.
        var diagnostic: String?
        var testDescription: String { name }
    }

    static let conversations: [Conversation] = [
        Conversation(
            name: "happy path with PIPELINING: one batch, DSN parameters passed on",
            message: OutboundMessage(sender: "alice@example.org", recipients: [bob, carol], size: 1234, bodyType: .eightBitMIME,
                                     ret: .headers, envid: "QQ+2B1"),
            script: [
                "S: 220 mx.example.net ESMTP", "C: EHLO mail.example.org", ehloPipelining,
                "C: MAIL FROM:<alice@example.org> SIZE=1234 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1"
                    + " | RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+2Bx@example.net"
                    + " | RCPT TO:<carol@example.net> | DATA",
                "S: 250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>", "message",
                "S: 250 2.0.0 Ok: queued as 4Xyz", "C: QUIT", "S: 221 2.0.0 Bye", "close",
            ],
            results: ["delivered 250", "delivered 250"], tryNextHost: false),
        Conversation(
            name: "happy path without PIPELINING: one command per reply, no DSN parameters without DSN, no BODY without 8BITMIME",
            message: OutboundMessage(sender: "", recipients: [bob, carol], size: 10, bodyType: .eightBitMIME, ret: .full, envid: "x"),
            script: [
                "S: 220-mx.example.net ESMTP\r\n220 second greeting line", "C: EHLO mail.example.org",
                "S: 250-mx.example.net\r\n250 SIZE", "C: MAIL FROM:<> SIZE=10", "S: 250 ok",
                "C: RCPT TO:<bob@example.net>", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
                "C: DATA", "S: 354 go ahead", "message", "S: 250 queued", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250", "delivered 250"], tryNextHost: false),
        Conversation(
            name: "STARTTLS when offered; capabilities from the second EHLO only",
            message: OutboundMessage(sender: "alice@example.org", recipients: [carol], size: 5),
            script: [
                "S: 220 mx.example.net", "C: EHLO mail.example.org", ehloStartTLS, "C: STARTTLS", "S: 220 2.0.0 Ready",
                "starttls", "tls ok", "C: EHLO mail.example.org", "S: 250-mx.example.net\r\n250 SIZE 100",
                "C: MAIL FROM:<alice@example.org> SIZE=5", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
                "C: DATA", "S: 354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "opportunistic TLS without STARTTLS offered: plaintext",
            message: OutboundMessage(sender: "alice@example.org", recipients: [carol], size: 5),
            script: [
                "S: 220 mx.example.net", "C: EHLO mail.example.org", "S: 250 mx.example.net",
                "C: MAIL FROM:<alice@example.org>", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
                "C: DATA", "S: 354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "TLS mode none never sends STARTTLS",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 5), tls: .none,
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 STARTTLS",
                "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
                "C: DATA", "S: 354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "TLS required but STARTTLS not offered: QUIT, defer, next host",
            tls: .required,
            script: ["S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING", "C: QUIT", "S: 221 bye", "close"],
            results: ["deferred 4.7.4", "deferred 4.7.4"], tryNextHost: true, diagnostic: "X-Loft; TLS is required"),
        Conversation(
            name: "TLS required: STARTTLS refused with 454",
            tls: .required,
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", ehloStartTLS, "C: STARTTLS", "S: 454 4.7.0 TLS not available",
                "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["deferred 4.7.0", "deferred 4.7.0"], tryNextHost: true, diagnostic: "smtp; 454 4.7.0 TLS not available"),
        Conversation(
            name: "opportunistic TLS: STARTTLS refused with 502 defers too (documented choice)",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", ehloStartTLS, "C: STARTTLS", "S: 502 not really",
                "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["deferred 4.0.0", "deferred 4.0.0"], tryNextHost: true),
        Conversation(
            name: "TLS policy rejects the peer: QUIT, defer 4.7.5, next host",
            tls: .required,
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", ehloStartTLS, "C: STARTTLS", "S: 220 go",
                "starttls", "tls rejected: certificate does not match TLSA", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["deferred 4.7.5", "deferred 4.7.5"], tryNextHost: true, diagnostic: "X-Loft; certificate does not match TLSA"),
        Conversation(
            name: "a reply injected before the TLS handshake is never acted on",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", ehloStartTLS, "C: STARTTLS", "S: 220 go\r\n250 injected",
                "starttls", "close",
            ],
            results: ["deferred 4.5.0", "deferred 4.5.0"], tryNextHost: true, diagnostic: "unexpected reply"),
        Conversation(
            name: "SIZE: a message over the server's limit fails 5.3.4 without MAIL",
            message: OutboundMessage(sender: "a@example.org", recipients: [bob, carol], size: 20_000_000),
            script: ["S: 220 mx", "C: EHLO mail.example.org", ehloPipelining, "C: QUIT", "S: 221 bye", "close"],
            results: ["failed 5.3.4", "failed 5.3.4"], tryNextHost: false, diagnostic: "exceeds the limit of 10000000"),
        Conversation(
            name: "SMTPUTF8 needed but not offered: failed 5.6.7",
            message: OutboundMessage(sender: "jos\u{e9}@example.org", recipients: [carol], size: 10, needsSMTPUTF8: true),
            script: ["S: 220 mx", "C: EHLO mail.example.org", ehloPipelining, "C: QUIT", "S: 221 bye", "close"],
            results: ["failed 5.6.7"], tryNextHost: false, diagnostic: "SMTPUTF8"),
        Conversation(
            name: "SMTPUTF8 offered: sent on MAIL",
            message: OutboundMessage(sender: "jos\u{e9}@example.org", recipients: [carol], size: 10, needsSMTPUTF8: true),
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250-SMTPUTF8\r\n250 PIPELINING",
                "C: MAIL FROM:<jos\u{e9}@example.org> SMTPUTF8 | RCPT TO:<carol@example.net> | DATA",
                "S: 250 ok\r\n250 ok\r\n354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "BINARYMIME cannot be relayed without BDAT: failed 5.6.3",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10, bodyType: .binaryMIME),
            script: ["S: 220 mx", "C: EHLO mail.example.org", ehloPipelining, "C: QUIT", "S: 221 bye", "close"],
            results: ["failed 5.6.3"], tryNextHost: false, diagnostic: "BINARYMIME"),
        Conversation(
            name: "REQUIRETLS over TLS to a server without REQUIRETLS: failed 5.7.30",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10, requireTLS: true),
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", ehloStartTLS, "C: STARTTLS", "S: 220 go", "starttls", "tls ok",
                "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["failed 5.7.30"], tryNextHost: false, diagnostic: "does not offer REQUIRETLS"),
        Conversation(
            name: "REQUIRETLS without TLS: failed 5.7.30 even when REQUIRETLS is advertised in plaintext",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10, requireTLS: true),
            script: ["S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 REQUIRETLS", "C: QUIT", "S: 221 bye", "close"],
            results: ["failed 5.7.30"], tryNextHost: false, diagnostic: "not encrypted"),
        Conversation(
            name: "REQUIRETLS over TLS to a server offering it: sent on MAIL",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10, requireTLS: true),
            tls: .implicit,
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 REQUIRETLS",
                "C: MAIL FROM:<a@example.org> REQUIRETLS", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
                "C: DATA", "S: 354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "RCPT answers mixed: 250, 450, 550; the message goes to the accepted one",
            message: OutboundMessage(sender: "a@example.org", recipients: [bob, carol, dave], size: 10),
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING",
                "C: MAIL FROM:<a@example.org> | RCPT TO:<bob@example.net> | RCPT TO:<carol@example.net> | RCPT TO:<dave@example.net> | DATA",
                "S: 250 ok\r\n250 ok\r\n450 4.2.1 try later\r\n550 5.1.1 no such user\r\n354 go", "message",
                "S: 250 2.0.0 queued", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250", "deferred 4.2.1", "failed 5.1.1"], tryNextHost: false),
        Conversation(
            name: "RCPT 4xx and 5xx without enhanced codes, no PIPELINING, nobody accepted: no DATA",
            message: OutboundMessage(sender: "a@example.org", recipients: [bob, carol], size: 10),
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250 mx", "C: MAIL FROM:<a@example.org>", "S: 250 ok",
                "C: RCPT TO:<bob@example.net>", "S: 451 greylisted", "C: RCPT TO:<carol@example.net>", "S: 550 unknown",
                "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["deferred 4.0.0", "failed 5.0.0"], tryNextHost: false),
        Conversation(
            name: "PIPELINING, every RCPT refused: DATA's 554 is expected, then QUIT",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING",
                "C: MAIL FROM:<alice@example.org> | RCPT TO:<bob@example.net> | RCPT TO:<carol@example.net> | DATA",
                "S: 250 ok\r\n550 5.1.1 no\r\n550 5.1.1 no\r\n554 5.5.1 no valid recipients", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["failed 5.1.1", "failed 5.1.1"], tryNextHost: false),
        Conversation(
            name: "PIPELINING, every RCPT refused but DATA got 354: send \".\" at once (RFC 2920 §3.1)",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING",
                "C: MAIL FROM:<alice@example.org> | RCPT TO:<bob@example.net> | RCPT TO:<carol@example.net> | DATA",
                "S: 250 ok\r\n550 5.1.1 no\r\n451 4.3.0 later\r\n354 go", "C: .", "S: 554 no recipients",
                "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["failed 5.1.1", "deferred 4.3.0"], tryNextHost: false),
        Conversation(
            name: "DATA answered 452: every accepted recipient deferred",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250 mx", "C: MAIL FROM:<alice@example.org>", "S: 250 ok",
                "C: RCPT TO:<bob@example.net>", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 550 5.1.1 no",
                "C: DATA", "S: 452 4.3.1 insufficient system storage", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["deferred 4.3.1", "failed 5.1.1"], tryNextHost: false, diagnostic: "smtp; "),
        Conversation(
            name: "the message refused with 554: every accepted recipient failed",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING",
                "C: MAIL FROM:<alice@example.org> | RCPT TO:<bob@example.net> | RCPT TO:<carol@example.net> | DATA",
                "S: 250 ok\r\n250 ok\r\n250 ok\r\n354 go", "message", "S: 554 5.7.1 spam", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["failed 5.7.1", "failed 5.7.1"], tryNextHost: false, diagnostic: "smtp; 554 5.7.1 spam"),
        Conversation(
            name: "MAIL answered 451 with PIPELINING: the RCPT and DATA replies are consumed; next host",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING",
                "C: MAIL FROM:<alice@example.org> | RCPT TO:<bob@example.net> | RCPT TO:<carol@example.net> | DATA",
                "S: 451 4.3.0 try later", "S: 503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL",
                "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["deferred 4.3.0", "deferred 4.3.0"], tryNextHost: true),
        Conversation(
            name: "MAIL answered 550 without PIPELINING: everyone failed",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250 mx", "C: MAIL FROM:<alice@example.org>",
                "S: 550 5.7.1 sender rejected", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["failed 5.7.1", "failed 5.7.1"], tryNextHost: false),
        Conversation(
            name: "421 in the middle of the RCPTs: close at once, everyone deferred, next host",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250 mx", "C: MAIL FROM:<alice@example.org>", "S: 250 ok",
                "C: RCPT TO:<bob@example.net>", "S: 250 ok", "C: RCPT TO:<carol@example.net>",
                "S: 421 4.4.2 mx.example.net closing", "close",
            ],
            // A 250 to RCPT decides nothing yet: the next host may take the message now.
            results: ["deferred 4.4.2", "deferred 4.4.2"], tryNextHost: true),
        Conversation(
            name: "421 to MAIL: close at once, next host",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250 mx", "C: MAIL FROM:<alice@example.org>",
                "S: 421 shutting down", "close",
            ],
            results: ["deferred 4.0.0", "deferred 4.0.0"], tryNextHost: true),
        Conversation(
            name: "greeting 554: QUIT, deferred with class 4, next host",
            script: ["S: 554 5.7.1 no service for you", "C: QUIT", "S: 221 bye", "close"],
            results: ["deferred 4.7.1", "deferred 4.7.1"], tryNextHost: true, diagnostic: "smtp; 554 5.7.1 no service for you"),
        Conversation(
            name: "greeting 421: close at once",
            script: ["S: 421 too busy", "close"],
            results: ["deferred 4.0.0", "deferred 4.0.0"], tryNextHost: true),
        Conversation(
            name: "EHLO not implemented (502): HELO, and no extensions",
            message: OutboundMessage(sender: "a@example.org", recipients: [bob], size: 10, bodyType: .eightBitMIME, ret: .full),
            script: [
                "S: 220 old.example.net", "C: EHLO mail.example.org", "S: 502 5.5.2 what?", "C: HELO mail.example.org",
                "S: 250 old.example.net", "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<bob@example.net>",
                "S: 250 ok", "C: DATA", "S: 354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "EHLO refused with 550: deferred, next host",
            script: ["S: 220 mx", "C: EHLO mail.example.org", "S: 550 go away", "C: QUIT", "S: 221 bye", "close"],
            results: ["deferred 4.0.0", "deferred 4.0.0"], tryNextHost: true),
        Conversation(
            name: "credentials without TLS are refused: deferred, nothing sent",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10),
            credentials: ClientCredentials(username: "relay", password: "s3cret"),
            script: ["S: 220 smarthost", "C: EHLO mail.example.org", "S: 250-smarthost\r\n250 AUTH PLAIN LOGIN", "C: QUIT", "S: 221 bye", "close"],
            results: ["deferred 4.7.0"], tryNextHost: true, diagnostic: "refusing to send credentials in plaintext"),
        Conversation(
            name: "AUTH PLAIN after STARTTLS (mechanisms from the second EHLO)",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10),
            credentials: ClientCredentials(username: "relay", password: "s3cret"),
            script: [
                "S: 220 smarthost", "C: EHLO mail.example.org", "S: 250-smarthost\r\n250 STARTTLS", "C: STARTTLS", "S: 220 go",
                "starttls", "tls ok", "C: EHLO mail.example.org", "S: 250-smarthost\r\n250 AUTH LOGIN PLAIN",
                "C: AUTH PLAIN AHJlbGF5AHMzY3JldA==", "S: 235 2.7.0 Authentication successful",
                "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
                "C: DATA", "S: 354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "AUTH LOGIN over implicit TLS when PLAIN is not offered",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10), tls: .implicit,
            credentials: ClientCredentials(username: "relay", password: "s3cret"),
            script: [
                "S: 220 smarthost", "C: EHLO mail.example.org", "S: 250-smarthost\r\n250 AUTH LOGIN CRAM-MD5",
                "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: cmVsYXk=", "S: 334 UGFzc3dvcmQ6", "C: czNjcmV0",
                "S: 235 ok", "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
                "C: DATA", "S: 354 go", "message", "S: 250 ok", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "AUTH refused with 535: everyone failed 5.7.8",
            message: OutboundMessage(sender: "a@example.org", recipients: [bob, carol], size: 10), tls: .implicit,
            credentials: ClientCredentials(username: "relay", password: "wrong"),
            script: [
                "S: 220 smarthost", "C: EHLO mail.example.org", "S: 250-smarthost\r\n250 AUTH PLAIN",
                "C: AUTH PLAIN AHJlbGF5AHdyb25n", "S: 535 Authentication credentials invalid", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["failed 5.7.8", "failed 5.7.8"], tryNextHost: false),
        Conversation(
            name: "AUTH answered 454: deferred",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10), tls: .implicit,
            credentials: ClientCredentials(username: "relay", password: "s3cret"),
            script: [
                "S: 220 smarthost", "C: EHLO mail.example.org", "S: 250-smarthost\r\n250 AUTH PLAIN",
                "C: AUTH PLAIN AHJlbGF5AHMzY3JldA==", "S: 454 4.7.0 Temporary authentication failure", "C: QUIT", "S: 221 bye", "close",
            ],
            results: ["deferred 4.7.0"], tryNextHost: true),
        Conversation(
            name: "no usable AUTH mechanism: deferred",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10), tls: .implicit,
            credentials: ClientCredentials(username: "relay", password: "s3cret"),
            script: ["S: 220 smarthost", "C: EHLO mail.example.org", "S: 250-smarthost\r\n250 AUTH CRAM-MD5", "C: QUIT", "S: 221 bye", "close"],
            results: ["deferred 4.7.0"], tryNextHost: true, diagnostic: "no AUTH mechanism"),
        Conversation(
            name: "connection lost after the message: deferred 4.4.2, never delivered",
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250-mx\r\n250 PIPELINING",
                "C: MAIL FROM:<alice@example.org> | RCPT TO:<bob@example.net> | RCPT TO:<carol@example.net> | DATA",
                "S: 250 ok\r\n250 ok\r\n550 5.1.1 no\r\n354 go", "message", "lost: connection reset by peer",
            ],
            results: ["deferred 4.4.2", "failed 5.1.1"], tryNextHost: false),
        Conversation(
            name: "connection lost before the greeting: next host",
            script: ["lost: connection refused"],
            results: ["deferred 4.4.2", "deferred 4.4.2"], tryNextHost: true, diagnostic: "connection refused"),
        Conversation(
            name: "connection lost after the final reply: the delivery stands",
            message: OutboundMessage(sender: "a@example.org", recipients: [carol], size: 10),
            script: [
                "S: 220 mx", "C: EHLO mail.example.org", "S: 250 mx", "C: MAIL FROM:<a@example.org>", "S: 250 ok",
                "C: RCPT TO:<carol@example.net>", "S: 250 ok", "C: DATA", "S: 354 go", "message", "S: 250 ok",
                "C: QUIT", "lost: EOF",
            ],
            results: ["delivered 250"], tryNextHost: false),
        Conversation(
            name: "a reply that makes no sense (354 to MAIL): close at once",
            script: ["S: 220 mx", "C: EHLO mail.example.org", "S: 250 mx", "C: MAIL FROM:<alice@example.org>", "S: 354 what", "close"],
            results: ["deferred 4.5.0", "deferred 4.5.0"], tryNextHost: true),
        Conversation(
            name: "a malformed reply: close at once",
            script: ["S: 220 mx", "C: EHLO mail.example.org", "bad reply", "close"],
            results: ["deferred 4.5.0", "deferred 4.5.0"], tryNextHost: true, diagnostic: "malformed reply line"),
    ]

    @Test("conversation", arguments: conversations)
    func conversation(_ conversation: Conversation) throws {
        var session = SMTPClientSession(
            heloName: "mail.example.org", message: conversation.message, tls: conversation.tls,
            credentials: conversation.credentials, remoteHost: "mx.example.net")
        let actual = Self.run(conversation.script, on: &session)
        #expect(actual == conversation.script)

        let outcome = try #require(session.outcome)
        #expect(outcome.recipients.map(Self.summary) == conversation.results)
        #expect(outcome.tryNextHost == conversation.tryNextHost)
        for result in outcome.recipients {
            guard let failure = result.failure else { continue }
            #expect(failure.remoteHost == "mx.example.net")
            #expect(failure.diagnostic.hasPrefix("smtp; ") || failure.diagnostic.hasPrefix("X-Loft; "))
            if let diagnostic = conversation.diagnostic, !failure.diagnostic.hasPrefix("smtp; 550 5.1.1") {
                #expect(failure.diagnostic.contains(diagnostic), "\(failure.diagnostic)")
            }
        }
        // No secret reaches the transcript.
        if let credentials = conversation.credentials {
            let transcript = session.transcript.joined(separator: "\n")
            for secret in [credentials.password, "AHJlbGF5AHMzY3JldA==", "czNjcmV0", "cmVsYXk="] {
                #expect(!transcript.contains(secret))
            }
        }
    }

    @Test("the transcript shows both sides, redacts AUTH, and shows the message only as its size")
    func transcript() {
        var session = SMTPClientSession(
            heloName: "mail.example.org", message: OutboundMessage(sender: "a@example.org", recipients: [Self.carol], size: 77),
            tls: .implicit, credentials: ClientCredentials(username: "relay", password: "s3cret"), remoteHost: "smarthost")
        _ = Self.run([
            "S: 220 smarthost", "S: 250-smarthost\r\n250 AUTH PLAIN", "S: 235 ok", "S: 250 ok", "S: 250 ok", "S: 354 go",
            "S: 250 2.0.0 queued", "S: 221 bye",
        ], on: &session)
        #expect(session.transcript == [
            "S: 220 smarthost", "C: EHLO mail.example.org", "S: 250 smarthost / AUTH PLAIN", "C: AUTH PLAIN <redacted>",
            "S: 235 ok", "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<carol@example.net>", "S: 250 ok",
            "C: DATA", "S: 354 go", "C: <message, 77 bytes>", "S: 250 2.0.0 queued", "C: QUIT", "S: 221 bye",
        ])
        #expect(session.tlsActive)
        #expect(session.capabilities?.authMechanisms == ["PLAIN"])
    }

    @Test("STARTTLS forgets the capabilities learnt before TLS until the second EHLO")
    func capabilitiesAfterTLS() {
        var session = SMTPClientSession(heloName: "h", message: Self.plain, tls: .opportunistic, remoteHost: "mx")
        _ = Self.run(["S: 220 mx", "S: 250-mx\r\n250-STARTTLS\r\n250-PIPELINING\r\n250 SIZE 99", "S: 220 go"], on: &session)
        #expect(session.capabilities?.pipelining == true)
        #expect(!session.tlsActive)
        #expect(session.tlsEstablished() == [.send(["EHLO h"])])
        #expect(session.tlsActive)
        #expect(session.capabilities == nil)
        // The second EHLO has no PIPELINING: one command per reply from now on.
        #expect(Self.feed("250-mx\r\n250 8BITMIME", to: &session) == [.send(["MAIL FROM:<alice@example.org>"])])
        #expect(session.capabilities?.pipelining == false)
        #expect(session.capabilities?.starttls == false)
    }

    @Test("events at the wrong time change nothing")
    func eventsOutOfOrder() {
        var session = SMTPClientSession(heloName: "h", message: Self.plain, tls: .opportunistic, remoteHost: "mx")
        #expect(session.tlsEstablished() == [])
        #expect(session.tlsRejected(reason: "x") == [])
        #expect(!session.tlsActive)
        #expect(Self.feed("220 mx", to: &session) == [.send(["EHLO h"])])
        #expect(session.outcome == nil)
    }

    @Test("implicit TLS rejected by the policy before the greeting: closed without a word, every recipient deferred 4.7.5")
    func implicitTLSRejected() {
        var session = SMTPClientSession(heloName: "h", message: Self.plain, tls: .implicit, remoteHost: "relay")
        #expect(session.tlsRejected(reason: "certificate verification failed") == [.close])
        guard case .deferred(let detail)? = session.outcome?.recipients.first else {
            Issue.record("not deferred: \(String(describing: session.outcome))")
            return
        }
        #expect(detail.status == "4.7.5" && session.outcome?.tryNextHost == true)
    }

    @Test("a message with no recipients just says QUIT")
    func noRecipients() {
        var session = SMTPClientSession(
            heloName: "h", message: OutboundMessage(sender: "a@b", recipients: [], size: 1), tls: .none, remoteHost: "mx")
        _ = Self.feed("220 mx", to: &session)
        #expect(Self.feed("250 mx", to: &session) == [.send(["QUIT"])])
        #expect(session.outcome == SMTPClientOutcome(recipients: [], tryNextHost: true))
    }

    @Test("a message from a spool envelope needs SMTPUTF8 when the envelope had it or an address is not ASCII")
    func messageFromSpoolEnvelope() {
        let envelope = SpoolEnvelope(
            id: "Q1", sender: "alice@example.org", recipients: [Self.bob], authenticatedUser: "alice", arrival: Date(),
            bodyType: .eightBitMIME, smtputf8: false, ret: .full, envid: "E1")
        let ascii = OutboundMessage(envelope: envelope, recipients: [Self.bob], size: 42)
        #expect(ascii == OutboundMessage(
            sender: "alice@example.org", recipients: [Self.bob], size: 42, bodyType: .eightBitMIME, ret: .full, envid: "E1"))
        var required = envelope
        required.requireTLS = true
        let international = OutboundMessage(
            envelope: required, recipients: [RemoteRecipient(address: "m\u{fc}ller@example.de")], size: 42)
        #expect(international.needsSMTPUTF8 && international.requireTLS && !ascii.requireTLS)
        var flagged = envelope
        flagged.smtputf8 = true
        #expect(OutboundMessage(envelope: flagged, recipients: [Self.bob], size: 1).needsSMTPUTF8)
    }

    // MARK: Driver

    /// Runs the inputs of `script` through the session and returns the inputs interleaved with the session's
    /// answers, in the script's notation.
    static func run(_ script: [String], on session: inout SMTPClientSession) -> [String] {
        var actual: [String] = []
        for step in script {
            if step.hasPrefix("S: ") {
                actual.append(step)
                var parser = SMTPReplyParser()
                parser.append(Array((step.dropFirst(3) + "\r\n").utf8))
                while let reply = try? parser.nextReply() {
                    actual += session.receive(reply).map(describe)
                }
            } else if step == "tls ok" {
                actual.append(step)
                actual += session.tlsEstablished().map(describe)
            } else if step.hasPrefix("tls rejected: ") {
                actual.append(step)
                actual += session.tlsRejected(reason: String(step.dropFirst(14))).map(describe)
            } else if step.hasPrefix("lost: ") {
                actual.append(step)
                session.connectionLost(reason: String(step.dropFirst(6)))
            } else if step == "bad reply" {
                actual.append(step)
                var parser = SMTPReplyParser()
                parser.append(Array("25O ok\r\n".utf8))
                do {
                    _ = try parser.nextReply()
                } catch {
                    actual += session.replyError(error).map(describe)
                }
            }
        }
        return actual
    }

    static func feed(_ text: String, to session: inout SMTPClientSession) -> [SMTPClientAction] {
        var parser = SMTPReplyParser()
        parser.append(Array((text + "\r\n").utf8))
        var actions: [SMTPClientAction] = []
        while let reply = try? parser.nextReply() { actions += session.receive(reply) }
        return actions
    }

    static func describe(_ action: SMTPClientAction) -> String {
        switch action {
        case .send(let lines): "C: " + lines.joined(separator: " | ")
        case .startTLS: "starttls"
        case .sendMessage: "message"
        case .close: "close"
        }
    }

    static func summary(_ result: RecipientResult) -> String {
        switch result {
        case .delivered(let reply): "delivered \(reply.code)"
        case .deferred(let detail): "deferred \(detail.status)"
        case .failed(let detail): "failed \(detail.status)"
        }
    }
}
