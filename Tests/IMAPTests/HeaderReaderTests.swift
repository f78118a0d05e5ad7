@testable import IMAP
import Testing

@Suite struct HeaderReaderTests {
    @Test("the header ends after the first empty line, LF or CRLF stored, wherever the search starts")
    func endOfHeader() {
        let lf = Array("Subject: a\nFrom: b\n\nbody\n\nmore\n".utf8)
        #expect(IMAPHeaderReader.endOfHeader(lf, from: 0) == 20)
        let crlf = Array("Subject: a\r\n\r\nbody\r\n".utf8)
        #expect(IMAPHeaderReader.endOfHeader(crlf, from: 0) == 14)
        // The search resumes three bytes before the previous end, so a blank line split across
        // two reads is still found.
        #expect(IMAPHeaderReader.endOfHeader(crlf, from: crlf.count > 14 ? 11 : 0) == 14)
        #expect(IMAPHeaderReader.endOfHeader(Array("Subject: no body".utf8), from: 0) == nil)
        #expect(IMAPHeaderReader.endOfHeader(Array("Subject: a\r\n".utf8), from: 0) == nil)
    }
}
