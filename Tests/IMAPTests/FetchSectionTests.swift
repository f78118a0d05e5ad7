import IMAP
import Testing

/// One body-section row: what is asked and the exact response item.
struct SectionCase: CustomStringConvertible, Sendable {
    var attribute: IMAPFetchAttribute
    var expected: [UInt8]
    var description: String { String(decoding: expected.prefix(40), as: UTF8.self) }

    init(_ attribute: IMAPFetchAttribute, _ name: String, _ value: [UInt8]) {
        self.attribute = attribute
        self.expected = bytes(name + " ") + value
    }
}

@Suite("FETCH rendering: body sections (RFC 3501 §6.4.5)")
struct FetchSectionTests {
    static let header = """
        From: Alice <alice@example.org>
        To: Bob <bob@example.com>
        Subject: Lunch
         on Friday
        Date: Fri, 4 Dec 2026 10:15:00 +0100
        Message-ID: <1@example.org>
        X-Note: one


        """
    static let body = "Hi Bob,\nsee you at noon.\n"

    static let simpleCases: [SectionCase] = [
        SectionCase(section(), "BODY[]", literal(FetchFixtures.simple)),
        SectionCase(section(peek: false), "BODY[]", literal(FetchFixtures.simple)),
        SectionCase(.rfc822, "RFC822", literal(FetchFixtures.simple)),
        SectionCase(section([], .header), "BODY[HEADER]", literal(header)),
        SectionCase(.rfc822Header, "RFC822.HEADER", literal(header)),
        SectionCase(section([], .text), "BODY[TEXT]", literal(body)),
        SectionCase(.rfc822Text, "RFC822.TEXT", literal(body)),
        // A non-multipart message has only part 1: its body; 1.MIME is its header.
        SectionCase(section([1]), "BODY[1]", bytes("{27}\r\nHi Bob,\r\nsee you at noon.\r\n")),
        SectionCase(section([1], .mime), "BODY[1.MIME]", literal(header)),
        SectionCase(section([2]), "BODY[2]", bytes("NIL")),
        SectionCase(section([1, 1]), "BODY[1.1]", bytes("NIL")),
        SectionCase(section([1], .header), "BODY[1.HEADER]", bytes("NIL")),
        // Folded fields keep their folds; names compare case-insensitively; message order; then CRLF.
        SectionCase(section([], .headerFields(["message-id", "SUBJECT", "X-Missing"])),
            "BODY[HEADER.FIELDS (message-id SUBJECT X-Missing)]",
            literal("Subject: Lunch\n on Friday\nMessage-ID: <1@example.org>\n\n")),
        SectionCase(section([], .headerFields(["X-Missing"])), "BODY[HEADER.FIELDS (X-Missing)]", bytes("{2}\r\n\r\n")),
        SectionCase(section([], .headerFieldsNot(["from", "to", "date", "subject"])),
            "BODY[HEADER.FIELDS.NOT (from to date subject)]", literal("Message-ID: <1@example.org>\nX-Note: one\n\n")),
    ]

    static let partialCases: [SectionCase] = [
        SectionCase(section(partial: IMAPPartial(offset: 0, length: 6)), "BODY[]<0>", bytes("{6}\r\nFrom: ")),
        // Offsets count CRLF: octet 31 is the CR ending the first line.
        SectionCase(section(partial: IMAPPartial(offset: 31, length: 4)), "BODY[]<31>", bytes("{4}\r\n\r\nTo")),
        SectionCase(section(partial: IMAPPartial(offset: 190, length: 100)), "BODY[]<190>", bytes("{7}\r\nnoon.\r\n")),
        SectionCase(section(partial: IMAPPartial(offset: 196, length: 1)), "BODY[]<196>", bytes("{1}\r\n\n")),
        // At or past the end: an empty string.
        SectionCase(section(partial: IMAPPartial(offset: 197, length: 1)), "BODY[]<197>", bytes("\"\"")),
        SectionCase(section(partial: IMAPPartial(offset: 9999, length: 5)), "BODY[]<9999>", bytes("\"\"")),
        SectionCase(section([], .text, partial: IMAPPartial(offset: 3, length: 3)), "BODY[TEXT]<3>", bytes("{3}\r\nBob")),
        SectionCase(section([1], partial: IMAPPartial(offset: 5, length: 4)), "BODY[1]<5>", bytes("{4}\r\nb,\r\n")),
        SectionCase(section([5], partial: IMAPPartial(offset: 0, length: 4)), "BODY[5]<0>", bytes("NIL")),
    ]

    @Test(arguments: simpleCases + partialCases, ["LF", "CRLF"])
    func simpleMessage(_ row: SectionCase, storage: String) {
        let stored = storage == "LF" ? FetchFixtures.lf(FetchFixtures.simple) : FetchFixtures.crlf(FetchFixtures.simple)
        let out = renderInMemory([row.attribute], stored: stored)
        #expect(show(out) == show(response(row.expected)))
    }

    /// The encapsulated message keeps the line break after its close delimiter: the outer delimiter's CRLF
    /// was consumed by that line (MIMEParser, as Dovecot counts the part's size).
    static let innerMessage = """
        From: Eve <eve@example.org>
        Subject: Inner
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain

        inner plain
        --inner
        Content-Type: text/html

        <p>inner html</p>
        --inner--

        """

    static let multipartCases: [SectionCase] = [
        SectionCase(section([1]), "BODY[1]", literal("Caf=C3=A9 at nine=\n o'clock.")),
        SectionCase(section([1], .mime), "BODY[1.MIME]",
            literal("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")),
        // A part of a leaf: Dovecot's reading, 1.1 of a non-multipart part is the part.
        SectionCase(section([1, 1]), "BODY[1.1]", literal("Caf=C3=A9 at nine=\n o'clock.")),
        SectionCase(section([1, 2]), "BODY[1.2]", bytes("NIL")),
        SectionCase(section([2]), "BODY[2]", literal(innerMessage)),
        SectionCase(section([2], .mime), "BODY[2.MIME]", literal("Content-Type: message/rfc822\n\n")),
        SectionCase(section([2], .header), "BODY[2.HEADER]",
            literal("From: Eve <eve@example.org>\nSubject: Inner\nContent-Type: multipart/alternative; boundary=inner\n\n")),
        SectionCase(section([2], .headerFields(["subject"])), "BODY[2.HEADER.FIELDS (subject)]",
            literal("Subject: Inner\n\n")),
        SectionCase(section([2], .text), "BODY[2.TEXT]",
            literal("--inner\nContent-Type: text/plain\n\ninner plain\n--inner\nContent-Type: text/html\n\n<p>inner html</p>\n--inner--\n")),
        SectionCase(section([2, 1]), "BODY[2.1]", bytes("{11}\r\ninner plain")),
        SectionCase(section([2, 2]), "BODY[2.2]", literal("<p>inner html</p>")),
        SectionCase(section([2, 2], .mime), "BODY[2.2.MIME]", literal("Content-Type: text/html\n\n")),
        SectionCase(section([2, 3]), "BODY[2.3]", bytes("NIL")),
        SectionCase(section([3]), "BODY[3]", bytes("{20}\r\naGlkZGVuIHRyZWFzdXJl")),
        // HEADER and TEXT need a message/rfc822 part.
        SectionCase(section([3], .header), "BODY[3.HEADER]", bytes("NIL")),
        SectionCase(section([1], .text), "BODY[1.TEXT]", bytes("NIL")),
        SectionCase(section([4]), "BODY[4]", bytes("NIL")),
        SectionCase(section([0]), "BODY[0]", bytes("NIL")),
        SectionCase(section([], .headerFields(["Subject"])), "BODY[HEADER.FIELDS (Subject)]",
            literal("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= und\n =?ISO-8859-1?Q?K=E4se?=\n\n")),
        SectionCase(section([], .headerFieldsNot(["Subject", "date", "MIME-Version", "content-type"])),
            "BODY[HEADER.FIELDS.NOT (Subject date MIME-Version content-type)]",
            literal("From: Carol <carol@example.net>\nTo: dave@example.com\n\n")),
        SectionCase(section([2], .text, partial: IMAPPartial(offset: 105, length: 1000)), "BODY[2.TEXT]<105>",
            bytes("{11}\r\n--inner--\r\n")),
        SectionCase(section([], .text, partial: IMAPPartial(offset: 0, length: 16)), "BODY[TEXT]<0>",
            bytes("{16}\r\nPreamble text.\r\n")),
        SectionCase(section([], .text, partial: IMAPPartial(offset: 520, length: 100)), "BODY[TEXT]<520>",
            bytes("{11}\r\nEpilogue.\r\n")),
    ]

    @Test(arguments: multipartCases, ["LF", "CRLF"])
    func multipartMessage(_ row: SectionCase, storage: String) {
        let text = FetchFixtures.multipart
        let stored = storage == "LF" ? FetchFixtures.lf(text) : FetchFixtures.crlf(text)
        let out = renderInMemory([row.attribute], stored: stored)
        #expect(show(out) == show(response(row.expected)))
    }

    @Test func severalItemsInOrder() {
        let out = renderInMemory([.uid, section([2, 1]), .rfc822Size, section([1], partial: IMAPPartial(offset: 0, length: 4))],
                                 stored: FetchFixtures.lf(FetchFixtures.multipart))
        #expect(show(out) == show(bytes("* 1 FETCH (UID 7 BODY[2.1] {11}\r\ninner plain RFC822.SIZE 763 BODY[1]<0> {4}\r\nCaf=)\r\n")))
    }

    @Test func headerFieldNamesThatAreNotAtomsAreQuoted() {
        let out = renderInMemory([section([], .headerFields(["X Odd", "Subject"]))], stored: FetchFixtures.lf(FetchFixtures.simple))
        #expect(show(out) == show(bytes("* 1 FETCH (BODY[HEADER.FIELDS (\"X Odd\" Subject)] {30}\r\nSubject: Lunch\r\n on Friday\r\n\r\n)\r\n")))
    }

    @Test func eightBitAndNULBytesGoOutAsStored() {
        let stored: [UInt8] = bytes("Subject: x\n\n") + [0xC3, 0xA4, 0x00, 0x0A]
        let out = renderInMemory([section([], .text)], stored: stored)
        #expect(out == bytes("* 1 FETCH (BODY[TEXT] {5}\r\n") + [0xC3, 0xA4, 0x00, 0x0D, 0x0A] + bytes(")\r\n"))
    }

    @Test func headerWithoutBodyOrFinalLineEnding() {
        let stored = bytes("Subject: only\nX-A: b")
        #expect(show(renderInMemory([section([], .headerFields(["x-a"]))], stored: stored))
            == show(response(bytes("BODY[HEADER.FIELDS (x-a)] {10}\r\nX-A: b\r\n\r\n"))))
        #expect(renderInMemory([section([], .text)], stored: stored) == response(bytes("BODY[TEXT] \"\"")))
    }
}
