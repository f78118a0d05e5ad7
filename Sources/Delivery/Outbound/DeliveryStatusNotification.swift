public import Foundation

/// A delivery status notification (a bounce, a delay warning or a success report) as a whole message:
/// `multipart/report; report-type=delivery-status` (RFC 6522) with a text part for people, the
/// machine-readable `message/delivery-status` part (RFC 3464) and the returned message or its headers
/// (RFC 3461 §4.3: RET).
///
/// Eight bits: when the returned header, or a report field, is not ASCII (an SMTPUTF8 message), the RFC 6533
/// types are used: `message/global-headers` or `message/global` for the returned content and
/// `message/global-delivery-status` (report-type `global-delivery-status`) for the report. An ASCII header
/// with an 8-bit body stays `message/rfc822`, marked `Content-Transfer-Encoding: 8bit`. So the caller sends
/// the rendered bytes with `BODY=8BITMIME` when any byte is ≥ 0x80, and with `SMTPUTF8` when the header or
/// an address is not ASCII. (RFC 8689 §5: for a message sent with REQUIRETLS the caller passes
/// `returnContent: .headers` whatever RET said.)
public struct DeliveryStatusNotification: Sendable {
    public var reportingMTA: String
    /// The `From` address, `MAILER-DAEMON@host`.
    public var postmaster: String
    /// The original sender, who gets the report.
    public var recipientOfReport: String
    /// `ENVID` as received (xtext), nil when none was given.
    public var originalEnvelopeID: String?
    public var arrivalDate: Date
    public var recipients: [DSNRecipientReport]
    public var returnContent: DSNReturn
    public var now: Date
    /// The new report's Message-ID, with or without angle brackets.
    public var messageID: String

    /// A boundary to use instead of a random one (tests); still checked against the content.
    var fixedBoundary: String?

    public init(
        reportingMTA: String, postmaster: String, recipientOfReport: String, originalEnvelopeID: String?,
        arrivalDate: Date, recipients: [DSNRecipientReport], returnContent: DSNReturn, now: Date, messageID: String
    ) {
        self.reportingMTA = reportingMTA
        self.postmaster = postmaster
        self.recipientOfReport = recipientOfReport
        self.originalEnvelopeID = originalEnvelopeID
        self.arrivalDate = arrivalDate
        self.recipients = recipients
        self.returnContent = returnContent
        self.now = now
        self.messageID = messageID
    }

    /// What kind of report this is, from the gravest action it reports.
    public enum Kind: Sendable, Equatable {
        case failure, delay, success
    }

    public var kind: Kind {
        if recipients.contains(where: { $0.action == .failed }) { return .failure }
        if recipients.contains(where: { $0.action == .delayed }) { return .delay }
        return .success
    }

    public var subject: String {
        switch kind {
        case .failure: "Undelivered Mail Returned to Sender"
        case .delay: "Delayed Mail (still being retried)"
        case .success: "Successful Mail Delivery Report"
        }
    }

    /// The whole report message with CRLF line ends: headers (From, To, Subject, Date, Message-ID,
    /// Auto-Submitted, MIME-Version, Content-Type) and the three parts.
    ///
    /// - Parameters:
    ///   - originalHeader: the header section of the message reported on (with or without the blank line
    ///     that ends it); cut at a line end if it alone exceeds `maximumReturnedBytes`.
    ///   - originalBody: its body, nil when only the header was read.
    ///   - maximumReturnedBytes: the whole message is returned only for a failure with RET=FULL and when
    ///     header and body together fit (RFC 3461 §4.3 leaves the limit to the MTA); otherwise the headers.
    public func render(originalHeader: [UInt8], originalBody: [UInt8]?, maximumReturnedBytes: Int = 100_000) -> [UInt8] {
        // The returned content.
        var header = Self.normalizingLineEnds(originalHeader)
        while header.count >= 2, header.suffix(2) == [0x0D, 0x0A] { header.removeLast(2) }
        if header.count > maximumReturnedBytes {
            let cut = header[..<maximumReturnedBytes].lastIndex(of: 0x0A).map { $0 - 1 } ?? 0
            header.removeSubrange(max(cut, 0)...)
        }
        if !header.isEmpty { header += [0x0D, 0x0A] }
        let body = originalBody.map(Self.normalizingLineEnds)
        let wantsFull = kind == .failure && returnContent == .full && body != nil
        let fitsWhole = header.count + 2 + (body?.count ?? 0) <= maximumReturnedBytes
        let returnsWhole = wantsFull && fitsWhole
        let headerIsEightBit = Self.hasEightBit(header)

        var returned = header
        let returnedType: String
        if returnsWhole, let body {
            returned += [0x0D, 0x0A] + body
            if !body.isEmpty, body.suffix(2) != [0x0D, 0x0A] { returned += [0x0D, 0x0A] }
            returnedType = headerIsEightBit ? "message/global" : "message/rfc822"
        } else {
            returnedType = headerIsEightBit ? "message/global-headers" : "text/rfc822-headers"
        }

        let report = reportFields()
        let reportIsGlobal = !report.utf8.allSatisfy { $0 < 0x80 }
        let text = humanText(returnsWhole: returnsWhole, cutForSize: wantsFull && !fitsWhole)

        let textBytes = Array(text.utf8)
        let reportBytes = Array(report.utf8)
        let boundary = chooseBoundary(avoiding: [textBytes, reportBytes, returned])

        var out = ""
        out += "From: Mail Delivery System <\(Self.clean(postmaster))>\r\n"
        out += "To: <\(Self.clean(recipientOfReport))>\r\n"
        out += "Subject: \(subject)\r\n"
        out += "Date: \(MailDate.format(now))\r\n"
        let bareID = messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
        out += "Message-ID: <\(Self.clean(bareID))>\r\n"
        out += "Auto-Submitted: auto-replied\r\n"  // RFC 3834 §5: keeps responders from answering it
        out += "MIME-Version: 1.0\r\n"
        out += "Content-Type: multipart/report;\r\n"
        out += " report-type=\(reportIsGlobal ? "global-delivery-status" : "delivery-status");\r\n"
        out += " boundary=\"\(boundary)\"\r\n"
        out += "\r\n"
        out += "This is a MIME-encapsulated message: a delivery status notification.\r\n"
        out += "\r\n--\(boundary)\r\n"
        if textBytes.allSatisfy({ $0 < 0x80 }) {
            out += "Content-Type: text/plain; charset=us-ascii\r\n"
            out += "Content-Transfer-Encoding: 7bit\r\n"
        } else {
            out += "Content-Type: text/plain; charset=utf-8\r\n"
            out += "Content-Transfer-Encoding: 8bit\r\n"
        }
        out += "Content-Description: Notification\r\n"
        out += "\r\n"
        out += text
        out += "\r\n--\(boundary)\r\n"
        // RFC 6533 §6.1: message/global-delivery-status may hold UTF-8 in its fields.
        out += "Content-Type: \(reportIsGlobal ? "message/global-delivery-status" : "message/delivery-status")\r\n"
        if reportIsGlobal { out += "Content-Transfer-Encoding: 8bit\r\n" }
        out += "Content-Description: Delivery report\r\n"
        out += "\r\n"
        out += report
        out += "\r\n--\(boundary)\r\n"
        out += "Content-Type: \(returnedType)\r\n"
        if Self.hasEightBit(returned) { out += "Content-Transfer-Encoding: 8bit\r\n" }
        out += "Content-Description: \(returnsWhole ? "Your message" : "The headers of your message")\r\n"
        out += "\r\n"
        var bytes = Array(out.utf8)
        bytes += returned
        bytes += Array("\r\n--\(boundary)--\r\n".utf8)
        return bytes
    }

    // MARK: The message/delivery-status part (RFC 3464 §2)

    /// The per-message fields, then one block per recipient, blocks separated by an empty line (none after the
    /// last: a reader would take it for an empty block).
    func reportFields() -> String {
        var out = ""
        out += Self.field("Reporting-MTA", "dns; " + reportingMTA)  // §2.2.2
        if let envid = originalEnvelopeID {
            out += Self.field("Original-Envelope-Id", Self.decodedForDisplay(envid))  // §2.2.1
        }
        out += Self.field("Arrival-Date", MailDate.format(arrivalDate))  // §2.2.5
        for recipient in recipients {
            out += "\r\n"
            if let orcpt = recipient.originalRecipient {
                out += Self.field("Original-Recipient", Self.originalRecipientForDisplay(orcpt))  // §2.3.1
            }
            out += Self.field("Final-Recipient", Self.typedAddress(recipient.finalRecipient))  // §2.3.2
            out += Self.field("Action", recipient.action.rawValue)  // §2.3.3
            out += Self.field("Status", recipient.status)  // §2.3.4
            if let remote = recipient.remoteMTA { out += Self.field("Remote-MTA", "dns; " + remote) }  // §2.3.5
            if let diagnostic = recipient.diagnostic { out += Self.field("Diagnostic-Code", diagnostic) }  // §2.3.6
            if let last = recipient.lastAttempt { out += Self.field("Last-Attempt-Date", MailDate.format(last)) }  // §2.3.7
            if recipient.action == .delayed, let until = recipient.willRetryUntil {
                out += Self.field("Will-Retry-Until", MailDate.format(until))  // §2.3.8: only for delayed
            }
        }
        return out
    }

    /// `Name: value` folded at spaces near 78 characters (RFC 5322 §2.2.3), with control characters removed
    /// so a server's reply text cannot start a field of its own.
    static func field(_ name: String, _ value: String) -> String {
        var out = ""
        var line = name + ":"
        for word in clean(value).split(separator: " ", omittingEmptySubsequences: true) {
            if line.count + 1 + word.count > 78, line != name + ":" {
                out += line + "\r\n"
                line = ""
            }
            line += " " + word
        }
        return out + line + "\r\n"
    }

    /// Control characters become spaces; values are cut at 900 bytes (a line may not exceed 998 bytes,
    /// RFC 5322 §2.1.1).
    static func clean(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= 900 else { break }
            scalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
        }
        return String(scalars)
    }

    /// `line` broken at spaces to about 76 characters, continuation lines indented by `indent` spaces.
    static func wrapped(_ line: String, indent: Int) -> String {
        guard line.count > 76 else { return line + "\r\n" }
        let leading = String(line.prefix { $0 == " " })
        var out = ""
        var current = leading
        for word in line.split(separator: " ") {
            if current.count + word.count + 1 > 76, current.contains(where: { $0 != " " }) {
                out += current + "\r\n"
                current = String(repeating: " ", count: leading.count + indent)
            } else if current.contains(where: { $0 != " " }) {
                current += " "
            }
            current += word
        }
        return out + current + "\r\n"
    }

    /// `rfc822; a@b`, or `utf-8; ü@b` for an address that is not ASCII (RFC 6533 §3, in a global report).
    static func typedAddress(_ address: String) -> String {
        address.utf8.allSatisfy({ $0 < 0x80 }) ? "rfc822; " + address : "utf-8; " + address
    }

    /// ORCPT `addr-type;xtext` with the xtext decoded (RFC 3461 §4.2), when it decodes to printable text.
    static func originalRecipientForDisplay(_ orcpt: String) -> String {
        guard let semicolon = orcpt.firstIndex(of: ";") else { return orcpt }
        let type = orcpt[..<semicolon].trimmingCharacters(in: .whitespaces)
        let encoded = String(orcpt[orcpt.index(after: semicolon)...])
        let decoded = XText.decode(encoded, utf8AddressForm: type.lowercased() == "utf-8")
        return "\(type); " + (decoded.flatMap(printable) ?? encoded)
    }

    static func decodedForDisplay(_ xtext: String) -> String {
        XText.decode(xtext).flatMap(printable) ?? xtext
    }

    private static func printable(_ text: String) -> String? {
        text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) ? text : nil
    }

    // MARK: The text part

    func humanText(returnsWhole: Bool, cutForSize: Bool) -> String {
        var out = Self.wrapped("This is the mail system at \(Self.clean(reportingMTA)).", indent: 0)
        func section(_ action: DSNAction, _ intro: [String]) {
            let group = recipients.filter { $0.action == action }
            guard !group.isEmpty else { return }
            out += "\r\n" + intro.map { $0 + "\r\n" }.joined() + "\r\n"
            for recipient in group {
                out += Self.wrapped("  \(Self.clean(recipient.finalRecipient))", indent: 2)
                if action == .failed || action == .delayed {
                    out += Self.wrapped("    Reason: \(Self.explanation(status: recipient.status))", indent: 2)
                    if let diagnostic = recipient.diagnostic {
                        let remote = recipient.remoteMTA.map { " (\(Self.clean($0)))" } ?? ""
                        let said = Self.clean(Self.withoutType(diagnostic))
                        out += Self.wrapped("    The server said\(remote): \(said)", indent: 2)
                    }
                    if action == .delayed, let until = recipient.willRetryUntil {
                        out += "    Still trying until \(MailDate.format(until)).\r\n"
                    }
                }
            }
        }
        section(.failed, [
            "Your message could not be delivered to the recipients below.",
            "This is final: the mail system has stopped trying.",
        ])
        section(.delayed, [
            "Your message has not been delivered yet to the recipients below.",
            "This is only a warning: the mail system keeps trying, so you do not need",
            "to send the message again. You will be told if it finally fails.",
        ])
        section(.delivered, ["Your message was delivered to:"])
        section(.relayed, [
            "Your message was passed on to the mail systems of the recipients below.",
            "Those systems do not send delivery reports, so you may hear nothing more.",
        ])
        section(.expanded, ["Your message was delivered to these lists or aliases, which passed it on:"])
        out += "\r\n"
        if returnsWhole {
            out += "Your message is attached.\r\n"
        } else if cutForSize {
            out += "Your message was too large to return whole; its headers are attached.\r\n"
        } else {
            out += "The headers of your message are attached.\r\n"
        }
        return out
    }

    /// `550 5.1.1 no such user` from `smtp; 550 5.1.1 no such user`.
    private static func withoutType(_ diagnostic: String) -> String {
        guard let semicolon = diagnostic.firstIndex(of: ";") else { return diagnostic }
        return diagnostic[diagnostic.index(after: semicolon)...].trimmingCharacters(in: .whitespaces)
    }

    /// A plain-words reading of common RFC 3463 codes.
    static func explanation(status: String) -> String {
        let parts = status.split(separator: ".")
        let meanings: [String: String] = [
            "1.1": "the address does not exist there",
            "1.2": "the recipient's domain does not exist or has no mail server",
            "2.1": "the mailbox is disabled",
            "2.2": "the mailbox is full",
            "3.4": "the message is too large for the receiving system",
            "4.1": "the receiving mail server did not answer",
            "4.2": "the connection to the receiving mail server was lost",
            "4.4": "no mail server could be found for the recipient's domain",
            "4.7": "the message was too long in the queue",
            "6.3": "the message content cannot be sent to the receiving system",
            "6.7": "the receiving system does not accept international (non-ASCII) addresses",
            "7.1": "the receiving system refused the message",
            "7.4": "the required encryption (TLS) is not available",
            "7.5": "the receiving system's TLS certificate could not be verified",
            "7.8": "the mail system's login to the relay was refused",
            "7.30": "the message requires encryption on every hop (REQUIRETLS), and that was not available",
        ]
        let meaning = parts.count == 3 ? meanings["\(parts[1]).\(parts[2])"] : nil
        return (meaning ?? (status.hasPrefix("4") ? "a temporary problem" : "a permanent problem")) + " (\(clean(status)))"
    }

    // MARK: Bytes

    /// CRLF for every line end (a bare LF or a bare CR becomes CRLF).
    static func normalizingLineEnds(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 40)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                out += [0x0D, 0x0A]
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            } else if byte == 0x0A {
                out += [0x0D, 0x0A]
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    static func hasEightBit(_ bytes: [UInt8]) -> Bool {
        bytes.contains { $0 >= 0x80 }
    }

    /// A random boundary that occurs in none of the parts (RFC 2046 §5.1.1).
    private func chooseBoundary(avoiding parts: [[UInt8]]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var candidate = fixedBoundary ?? ""
        while candidate.isEmpty || parts.contains(where: { Self.contains($0, Array(candidate.utf8)) }) {
            candidate = "=_loft-dsn-" + String((0..<24).map { _ in alphabet.randomElement()! })
        }
        return candidate
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
