/// What a server listed in one answer to EHLO, CAPABILITY or CAPA, and what it means for TLS and
/// passwords.
public struct TLSCheckCapabilities: Sendable, Equatable {
    /// The listing as the server sent it: EHLO extension lines, IMAP capability atoms, CAPA lines.
    public var lines: [String]
    /// STARTTLS (SMTP, IMAP) or STLS (POP3) is offered.
    public var startTLS: Bool
    /// SASL mechanisms offered (SMTP `AUTH`, IMAP `AUTH=`, POP3 `SASL`), upper-cased, in order.
    public var authMechanisms: [String]
    /// The ways to send a password in clear that are offered: "AUTH PLAIN", "AUTH LOGIN", "USER"
    /// (POP3 USER/PASS), "LOGIN" (IMAP LOGIN without LOGINDISABLED, RFC 3501 §6.2.3).
    public var plaintextLogins: [String]
    /// IMAP only: LOGINDISABLED is listed (RFC 3501 §6.1.1). Nil for the other protocols.
    public var loginDisabled: Bool?
    /// SMTP only: REQUIRETLS is listed (RFC 8689 §2). Nil for the other protocols.
    public var requireTLS: Bool?

    public init(lines: [String], startTLS: Bool, authMechanisms: [String], plaintextLogins: [String],
                loginDisabled: Bool?, requireTLS: Bool?) {
        self.lines = lines
        self.startTLS = startTLS
        self.authMechanisms = authMechanisms
        self.plaintextLogins = plaintextLogins
        self.loginDisabled = loginDisabled
        self.requireTLS = requireTLS
    }

    /// SASL mechanisms that carry the password itself (RFC 4616 PLAIN, the LOGIN draft).
    static func clearTextMechanisms(_ mechanisms: [String]) -> [String] {
        mechanisms.filter { $0 == "PLAIN" || $0 == "LOGIN" }.map { "AUTH \($0)" }
    }
}

/// What a protocol dialogue learnt on one connection, before and after TLS.
public struct TLSCheckTranscript: Sendable, Equatable {
    /// The greeting's text ("220 mail.example.org ESMTP", "* OK [CAPABILITY ...] ready", "+OK ready").
    public var greeting: String?
    /// The capabilities before TLS (STARTTLS mode only); nil when not asked or refused.
    public var beforeTLS: TLSCheckCapabilities?
    /// The server's answer to STARTTLS / STLS, when sent.
    public var startTLSReply: String?
    /// The capabilities after TLS; nil when not asked or refused.
    public var afterTLS: TLSCheckCapabilities?
    /// What went wrong in the dialogue itself ("the server refused STARTTLS: 454 4.7.0 ..."), if anything.
    public var problem: String?

    public init() {}
}

/// One thing a dialogue asks its connection to do.
enum TLSCheckStep: Equatable {
    /// Write this command (CRLF is added) and wait for the answer described by `awaiting`.
    case send(String, awaiting: String)
    /// The server agreed to STARTTLS and nothing else is buffered: start TLS now, then call
    /// `tlsEstablished()`.
    case startTLS
    /// The dialogue is over: close the connection.
    case finish
}

/// The server's bytes were not what the protocol allows; the text says what came.
struct TLSCheckDialogueError: Error, Equatable, CustomStringConvertible {
    var description: String
}

/// A protocol's side of a check: a pure state machine, bytes in, steps out, the facts in
/// `transcript`. The connection runs it, on a plaintext connection for STARTTLS (from the
/// greeting, through STARTTLS, to the capabilities after TLS and a polite goodbye) or inside TLS
/// for implicit TLS (from the greeting on).
protocol TLSCheckDialogue: Sendable {
    var transcript: TLSCheckTranscript { get }
    /// What the dialogue waits for now ("the greeting"), for a timeout's message.
    var awaiting: String { get }
    /// True once the goodbye (QUIT, LOGOUT) is sent: the server closing the connection is then normal.
    var saidGoodbye: Bool { get }
    /// Bytes received but not yet consumed. Must be zero when TLS starts (RFC 3207 §4.2, RFC 2595
    /// §3.1: anything sent before the handshake must not be read as if it came after it).
    var bufferedByteCount: Int { get }
    /// Feeds what the server sent.
    mutating func receive(_ bytes: [UInt8]) throws(TLSCheckDialogueError) -> [TLSCheckStep]
    /// The STARTTLS handshake completed: everything learnt before TLS is stale; ask again.
    mutating func tlsEstablished() -> [TLSCheckStep]
}
