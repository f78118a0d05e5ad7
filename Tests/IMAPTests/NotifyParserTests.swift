import IMAP
import Testing

@Suite("NOTIFY command grammar (RFC 5465 §8)")
struct NotifyParserTests {
    static func set(status: Bool = false, _ groups: IMAPNotifyEventGroup...) -> IMAPParseResult {
        command("a", .notify(.set(status: status, groups: groups)))
    }

    static func group(_ filter: IMAPNotifyFilter, _ events: IMAPNotifyEvent...) -> IMAPNotifyEventGroup {
        IMAPNotifyEventGroup(filter: filter, events: events)
    }

    static func bad(_ message: String) -> IMAPParseResult {
        .error(tag: "a", IMAPParseError(.syntax, message))
    }

    static let cases: [ParseCase] = [
        ParseCase("a NOTIFY NONE\r\n", command("a", .notify(.none))),
        ParseCase("a notify none\r\n", command("a", .notify(.none))),
        // The brief's session A, and RFC 5465 §3.1's example (with erratum 1804's parentheses).
        ParseCase("a NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (INBOXES (MessageNew MessageExpunge)) (SUBSCRIBED (MessageNew MessageExpunge MailboxName))\r\n",
                  set(group(.selected, .messageNew([]), .messageExpunge), group(.inboxes, .messageNew([]), .messageExpunge),
                      group(.subscribed, .messageNew([]), .messageExpunge, .mailboxName))),
        ParseCase("a notify set status (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))\r\n",
                  set(status: true,
                      group(.selected, .messageNew([.uid, .bodySection(IMAPSection(text: .headerFields(["from", "to", "subject"])), partial: nil, peek: true)]),
                            .messageExpunge),
                      group(.subtree(["Lists"]), .messageNew([]), .messageExpunge))),
        ParseCase("a NOTIFY SET (selected-delayed (MessageNew MessageExpunge FlagChange)) (personal (SubscriptionChange MailboxName))\r\n",
                  set(group(.selectedDelayed, .messageNew([]), .messageExpunge, .flagChange),
                      group(.personal, .subscriptionChange, .mailboxName))),
        ParseCase("a NOTIFY SET (mailboxes (INBOX \"Work.Q1\" {3+}\r\na b) (MessageNew MessageExpunge)) (subtree (x y) NONE)\r\n",
                  set(group(.mailboxes(["INBOX", "Work.Q1", "a b"]), .messageNew([]), .messageExpunge), group(.subtree(["x", "y"])))),
        ParseCase("a NOTIFY SET (PERSONAL (MailboxMetadataChange ServerMetadataChange AnnotationChange MessageNew MessageExpunge))\r\n",
                  set(group(.personal, .mailboxMetadataChange, .serverMetadataChange, .annotationChange, .messageNew([]), .messageExpunge))),
        // event-ext: parsed, refused by the session with BADEVENT.
        ParseCase("a NOTIFY SET (personal (MessageNew MessageExpunge QuotaExceeded))\r\n",
                  set(group(.personal, .messageNew([]), .messageExpunge, .other("QuotaExceeded")))),
        ParseCase("a NOTIFY SET (selected (Frobnicate))\r\n", set(group(.selected, .other("Frobnicate")))),

        // Malformed: BAD.
        ParseCase("a NOTIFY\r\n", bad("Expected a space")),
        ParseCase("a NOTIFY ALL\r\n", bad("NOTIFY takes SET or NONE")),
        ParseCase("a NOTIFY NONE (selected (MessageNew MessageExpunge))\r\n", bad("Unexpected characters at the end of the command")),
        ParseCase("a NOTIFY SET\r\n", bad("Expected a space")),
        ParseCase("a NOTIFY SET STATUS\r\n", bad("Expected a space")),
        ParseCase("a NOTIFY SET STATE (selected (MessageNew MessageExpunge))\r\n", bad("Expected STATUS or an event group")),
        ParseCase("a NOTIFY SET (everything (MessageNew MessageExpunge))\r\n", bad("Unknown mailbox specifier EVERYTHING")),
        ParseCase("a NOTIFY SET (selected MessageNew)\r\n", bad("Expected an event list or NONE")),
        ParseCase("a NOTIFY SET (selected (MessageNew MessageExpunge)\r\n", bad("Expected \")\" after an event group")),
        ParseCase("a NOTIFY SET (subtree (MessageNew MessageExpunge))\r\n", bad("Expected a space")),
        ParseCase("a NOTIFY SET (mailboxes () (MessageNew MessageExpunge))\r\n", bad("Expected an atom or a string")),
        ParseCase("a NOTIFY SET (selected ())\r\n", bad("Expected an atom")),
        ParseCase("a NOTIFY SET (selected (MessageNew))\r\n",
                  bad("MessageNew and MessageExpunge must be given together (RFC 5465 section 5)")),
        ParseCase("a NOTIFY SET (personal (MessageExpunge))\r\n",
                  bad("MessageNew and MessageExpunge must be given together (RFC 5465 section 5)")),
        ParseCase("a NOTIFY SET (personal (FlagChange))\r\n",
                  bad("FlagChange and AnnotationChange need MessageNew and MessageExpunge (RFC 5465 section 5)")),
        ParseCase("a NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))\r\n",
                  bad("Only one of SELECTED and SELECTED-DELAYED may be given (RFC 5465 section 6.1)")),
        ParseCase("a NOTIFY SET (selected (MessageNew MessageExpunge MailboxName))\r\n",
                  bad("SELECTED and SELECTED-DELAYED take message events only (RFC 5465 section 6.1)")),
        ParseCase("a NOTIFY SET (inboxes (MessageNew (UID) MessageExpunge))\r\n",
                  bad("MessageNew takes FETCH items only with SELECTED or SELECTED-DELAYED (RFC 5465 section 8)")),
        ParseCase("a NOTIFY SET (selected (MessageNew (UID BOGUS) MessageExpunge))\r\n", bad("Unknown fetch item BOGUS")),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: ParseCase) {
        checkAllSplits(testCase)
    }
}
