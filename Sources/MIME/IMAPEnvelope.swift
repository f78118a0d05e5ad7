/// The ENVELOPE of a message, RFC 3501 §7.4.2 / RFC 9051 §7.5.2:
/// `(date subject from sender reply-to to cc bcc in-reply-to message-id)`.
/// Strings are the raw unfolded header values (no RFC 2047 decoding). RFC 5322 §3.6 allows each of
/// these fields once; when a message repeats one, the last string field counts and the addresses of
/// all address fields are listed (as Dovecot does). Sender and Reply-To default to From when absent or empty.
public struct IMAPEnvelope: Sendable, Hashable {
    public var date: [UInt8]?
    public var subject: [UInt8]?
    public var from: [IMAPAddress]
    public var sender: [IMAPAddress]
    public var replyTo: [IMAPAddress]
    public var to: [IMAPAddress]
    public var cc: [IMAPAddress]
    public var bcc: [IMAPAddress]
    public var inReplyTo: [UInt8]?
    public var messageID: [UInt8]?

    public init(header: MessageHeader) {
        func addresses(_ name: String) -> [IMAPAddress] {
            header.all(name).flatMap { AddressParser.envelopeAddresses(AddressParser.parse($0.value)) }
        }
        date = header.last("Date")
        subject = header.last("Subject")
        from = addresses("From")
        let sender = addresses("Sender")
        self.sender = sender.isEmpty ? from : sender
        let replyTo = addresses("Reply-To")
        self.replyTo = replyTo.isEmpty ? from : replyTo
        to = addresses("To")
        cc = addresses("Cc")
        bcc = addresses("Bcc")
        inReplyTo = header.last("In-Reply-To")
        messageID = header.last("Message-ID")
    }

    /// `envelope` as it follows `ENVELOPE ` in a FETCH response.
    public func write(into w: inout IMAPWireWriter) {
        w.raw("(")
        w.nstring(date)
        w.raw(" ")
        w.nstring(subject)
        for list in [from, sender, replyTo, to, cc, bcc] {
            w.raw(" ")
            Self.writeAddresses(list, into: &w)
        }
        w.raw(" ")
        w.nstring(inReplyTo)
        w.raw(" ")
        w.nstring(messageID)
        w.raw(")")
    }

    /// The envelope's wire text, `(...)`.
    public var wireBytes: [UInt8] {
        var w = IMAPWireWriter()
        write(into: &w)
        return w.bytes
    }

    /// The FETCH item, `ENVELOPE (...)`.
    public var fetchItem: [UInt8] {
        Array("ENVELOPE ".utf8) + wireBytes
    }

    /// RFC 3501 §9 `env-from = "(" 1*address ")" / nil`, `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"`.
    static func writeAddresses(_ list: [IMAPAddress], into w: inout IMAPWireWriter) {
        guard !list.isEmpty else { return w.writeNil() }
        w.raw("(")
        for a in list {
            w.raw("(")
            w.nstring(a.name)
            w.raw(" ")
            w.nstring(a.route)
            w.raw(" ")
            w.nstring(a.mailbox)
            w.raw(" ")
            w.nstring(a.host)
            w.raw(")")
        }
        w.raw(")")
    }
}
