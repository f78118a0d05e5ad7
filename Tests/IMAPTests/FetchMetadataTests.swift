import IMAP
import Testing

@Suite("FETCH rendering: metadata items")
struct FetchMetadataTests {
    let stored = FetchFixtures.lf(FetchFixtures.simple)

    @Test func flagsAndUIDInRequestOrder() {
        let out = renderInMemory([.flags, .uid], stored: stored, flags: ["\\Seen", "\\Recent", "$Forwarded"])
        #expect(show(out) == show(bytes("* 1 FETCH (FLAGS (\\Seen \\Recent $Forwarded) UID 7)\r\n")))
    }

    @Test func emptyFlagsAreAnEmptyList() {
        #expect(renderInMemory([.uid, .flags], stored: stored) == bytes("* 1 FETCH (UID 7 FLAGS ())\r\n"))
    }

    @Test func uidFetchPutsUIDFirstOnce() {
        #expect(renderInMemory([.flags], stored: stored, addUID: true) == bytes("* 1 FETCH (UID 7 FLAGS ())\r\n"))
        #expect(renderInMemory([.flags, .uid], stored: stored, addUID: true) == bytes("* 1 FETCH (FLAGS () UID 7)\r\n"))
    }

    @Test func includeFlagsAppendsFlagsUnlessRequested() {
        let a = renderInMemory([.uid, section([], .text, partial: IMAPPartial(offset: 0, length: 2), peek: false)],
                               stored: stored, flags: ["\\Seen"], includeFlags: true)
        #expect(show(a) == show(bytes("* 1 FETCH (UID 7 BODY[TEXT]<0> {2}\r\nHi FLAGS (\\Seen))\r\n")))
        let b = renderInMemory([.flags, .rfc822Size], stored: stored, flags: ["\\Seen"], includeFlags: true)
        #expect(b == bytes("* 1 FETCH (FLAGS (\\Seen) RFC822.SIZE 197)\r\n"))
    }

    @Test func duplicateItemsAreSentOnce() {
        #expect(renderInMemory([.uid, .uid, .rfc822Size, .rfc822Size], stored: stored)
            == bytes("* 1 FETCH (UID 7 RFC822.SIZE 197)\r\n"))
    }

    @Test func sizeCountsCRLFWhateverTheStorage() {
        let crlf = FetchFixtures.crlf(FetchFixtures.simple)
        #expect(crlf.count == 197)
        #expect(renderInMemory([.rfc822Size], stored: stored) == bytes("* 1 FETCH (RFC822.SIZE 197)\r\n"))
        #expect(renderInMemory([.rfc822Size], stored: crlf) == bytes("* 1 FETCH (RFC822.SIZE 197)\r\n"))
    }

    // RFC 3501 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz"; Loft writes the day as two digits, in UTC.
    @Test(arguments: [
        (Int64(1_796_612_492), "\"07-Dec-2026 03:01:32 +0000\""),
        (0, "\"01-Jan-1970 00:00:00 +0000\""),
        (920_246_400, "\"01-Mar-1999 00:00:00 +0000\""),  // after a non-leap February
        (951_782_400, "\"29-Feb-2000 00:00:00 +0000\""),  // 2000 is a leap year
        (4_133_980_799, "\"31-Dec-2100 23:59:59 +0000\""),  // 2100 is not
        (-1, "\"31-Dec-1969 23:59:59 +0000\""),
    ])
    func internalDate(seconds: Int64, text: String) {
        let out = renderInMemory([.internalDate], stored: stored, internalDate: seconds)
        #expect(show(out) == show(bytes("* 1 FETCH (INTERNALDATE \(text))\r\n")))
    }

    @Test func needsClassifiesTheRequest() {
        #expect(IMAPFetchRenderer.needs([]) == .metadata)
        #expect(IMAPFetchRenderer.needs([.flags, .uid, .internalDate, .rfc822Size]) == .metadata)
        #expect(IMAPFetchRenderer.needs([.uid, section()]) == .wholeMessageOnly)
        #expect(IMAPFetchRenderer.needs([.rfc822, section(partial: IMAPPartial(offset: 5, length: 9), peek: false)])
            == .wholeMessageOnly)
        #expect(IMAPFetchRenderer.needs([section([], .header)]) == .content)
        #expect(IMAPFetchRenderer.needs([section([1])]) == .content)
        #expect(IMAPFetchRenderer.needs([.rfc822Header]) == .content)
        #expect(IMAPFetchRenderer.needs([.rfc822Text]) == .content)
        #expect(IMAPFetchRenderer.needs([.envelope, section()]) == .content)
        #expect(IMAPFetchRenderer.needs([.bodyStructure(extensions: false)]) == .content)
    }

    @Test func metadataNeedsNoContent() {
        let metadata = IMAPMessageMetadata(sequenceNumber: 42, uid: 4_000_000_000, flags: ["\\Answered"],
                                           internalDate: 0, virtualSize: 12_345)
        let pieces = IMAPFetchRenderer.render([.uid, .flags, .rfc822Size], message: metadata, content: nil,
                                              addUID: true, includeFlags: false)
        #expect(pieces == [.bytes(bytes("* 42 FETCH (UID 4000000000 FLAGS (\\Answered) RFC822.SIZE 12345)\r\n"))])
    }
}
