import IMAP
import MIME
import Testing

@Suite("FETCH rendering: ENVELOPE, BODY, BODYSTRUCTURE")
struct FetchStructureTests {
    @Test(arguments: ["LF", "CRLF"])
    func simpleMessage(storage: String) {
        let text = FetchFixtures.simple
        let stored = storage == "LF" ? FetchFixtures.lf(text) : FetchFixtures.crlf(text)
        let out = renderInMemory([.envelope, .bodyStructure(extensions: false), .bodyStructure(extensions: true)],
                                 stored: stored)
        let expected = "* 1 FETCH (ENVELOPE (\"Fri, 4 Dec 2026 10:15:00 +0100\" \"Lunch on Friday\" "
            + "((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) "
            + "((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.com\")) NIL NIL NIL "
            + "\"<1@example.org>\") "
            + "BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 27 2) "
            + "BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 27 2 NIL NIL NIL NIL))\r\n"
        #expect(show(out) == show(bytes(expected)))
    }

    /// The MIME target's writers (checked against Dovecot in MIMETests) give the same text over the
    /// normalised bytes whatever the storage, and part sizes agree with the sections FETCH sends.
    @Test func multipartMatchesTheMIMEWritersAndSectionSizes() {
        let lf = IMAPMessageContent(storedBytes: FetchFixtures.lf(FetchFixtures.multipart))
        let crlf = IMAPMessageContent(storedBytes: FetchFixtures.crlf(FetchFixtures.multipart))
        #expect(lf.bytes == crlf.bytes)
        #expect(lf.root == crlf.root)
        let out = renderInMemory([.bodyStructure(extensions: true)], stored: FetchFixtures.lf(FetchFixtures.multipart))
        #expect(out == response(bytes("BODYSTRUCTURE ") + IMAPBodyStructure(lf.root).bodyStructure))
        for (index, child) in lf.root.children.enumerated() {
            let section = renderInMemory([section([index + 1])], stored: FetchFixtures.lf(FetchFixtures.multipart))
            #expect(show(section).contains("BODY[\(index + 1)] {\(child.bodySize)}"))
        }
    }
}
