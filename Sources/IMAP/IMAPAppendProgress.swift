/// What the command parser keeps of an APPEND while its messages stream through: one message
/// normally, several with MULTIAPPEND (RFC 3502), each checked against the per-message and
/// per-command limits before it is announced.
struct IMAPAppendProgress: Sendable {
    let tag: String
    let mailbox: IMAPMailboxName
    /// Messages announced so far, the current one included.
    var messages = 1
    /// Declared octets of all messages so far.
    var totalSize: Int
    /// Whether the current message is a literal8 (RFC 3516 §4.4).
    var binary: Bool
    /// Whether the current message, sent as a plain literal, held a NUL octet (RFC 3501 §4.3
    /// CHAR8 excludes it; only a literal8 may carry one).
    var sawNUL = false
    /// Whether the current message came as `UTF8 (literal8)` (RFC 9755 §4): its `)` follows it.
    var utf8Wrapped = false

    init(tag: String, mailbox: IMAPMailboxName, size: Int, binary: Bool) {
        self.tag = tag
        self.mailbox = mailbox
        self.totalSize = size
        self.binary = binary
    }
}

extension IMAPGrammarParser {
    // RFC 3502 §6: append = "APPEND" SP mailbox 1*append-message
    //              append-message = append-opts SP append-data
    //              append-opts = [SP flag-list] [SP date-time]
    // What follows one message literal when another message comes: SP [flag-list SP]
    // [date-time SP], up to the next literal.
    mutating func parseNextAppendMessage() throws(IMAPParseError) -> IMAPAppendOptions {
        try expectSpace()
        return try parseAppendOptions(before: "the next message literal")
    }
}

/// What may come before an APPEND message literal: flags and a date (RFC 3501 §6.3.11), and the
/// `UTF8 (` of a UTF-8 message (RFC 9755 §4).
struct IMAPAppendOptions: Sendable {
    var flags: [IMAPFlag] = []
    var date: IMAPDateTime?
    var utf8 = false
}
