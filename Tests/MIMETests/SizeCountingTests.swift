import Testing
@testable import MIME

/// RFC 3501 §7.4.2: sizes and line counts are those of the CRLF form, however the message is stored.
@Suite struct SizeCountingTests {
    static func structure(_ text: String) -> String {
        String(decoding: IMAPBodyStructure(MIMEParser.parse(Array(text.utf8))).body, as: UTF8.self)
    }

    @Test func lfAndCRLFGiveTheSameNumbers() {
        let lf = "Subject: x\n\nbody\nline two\n"
        let crlf = "Subject: x\r\n\r\nbody\r\nline two\r\n"
        #expect(Self.structure(lf) == Self.structure(crlf))
        #expect(Self.structure(lf) == "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 16 2)")
    }

    @Test func bodyLFCountsAsTwoOctets() {
        let part = MIMEParser.parse(Array("\nbody\n".utf8))
        #expect(part.bodySize == 6)
        #expect(part.bodyLines == 1)
    }

    @Test func lastLineWithoutLineBreakIsNotCounted() {
        let part = MIMEParser.parse(Array("\nabc".utf8))
        #expect(part.bodySize == 3)
        #expect(part.bodyLines == 0)
    }

    @Test func headerSizesAreCRLFToo() {
        let part = MIMEParser.parse(Array("A: b\nC: d\n\nx".utf8))
        #expect(part.headerSize == 14)
        #expect(part.headerLines == 3)
        #expect(part.headerRange == 0..<11)
        #expect(part.bodyRange == 11..<12)
    }

    @Test func lineBreakBeforeDelimiterBelongsToIt() {
        for eol in ["\n", "\r\n"] {
            let text = ["Content-Type: multipart/mixed; boundary=b", "", "--b", "", "one", "--b", "", "two", "", "--b--", ""]
                .joined(separator: eol)
            let root = MIMEParser.parse(Array(text.utf8))
            #expect(root.children.map(\.bodySize) == [3, 5])
            #expect(root.children.map(\.bodyLines) == [0, 1])
        }
    }

    @Test func mixedLineEndingsCountEachBareLF() {
        let part = MIMEParser.parse(Array("\na\r\nb\nc".utf8))
        #expect(part.bodySize == 7)
        #expect(part.bodyLines == 2)
    }
}
