import Foundation
import Testing
@testable import MIME

@Suite struct CorpusTests {
    static let fixtures = CorpusFixture.all()

    @Test func corpusHasAtLeastFortyMessages() {
        #expect(Self.fixtures.count >= 40)
    }

    /// The reference text has no outer parentheses; Loft's wire text does.
    static func wrapped(_ text: [UInt8]) -> [UInt8] {
        [UInt8(ascii: "(")] + text + [UInt8(ascii: ")")]
    }

    /// Byte comparison; on a mismatch both texts are shown (8-bit bytes as U+FFFD).
    static func compare(_ got: [UInt8], _ expected: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        if got != expected {
            Issue.record("""
                got:      \(String(decoding: got, as: UTF8.self))
                expected: \(String(decoding: expected, as: UTF8.self))
                """, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: fixtures)
    func envelopeMatchesReference(_ f: CorpusFixture) {
        let root = MIMEParser.parse(f.message)
        let got = IMAPEnvelope(header: root.header).wireBytes
        Self.compare(got, Self.wrapped(f.envelope))
    }

    @Test(arguments: fixtures)
    func bodyMatchesReference(_ f: CorpusFixture) {
        let got = IMAPBodyStructure(MIMEParser.parse(f.message)).body
        Self.compare(got, Self.wrapped(f.body))
    }

    @Test(arguments: fixtures)
    func bodyStructureMatchesReference(_ f: CorpusFixture) {
        let got = IMAPBodyStructure(MIMEParser.parse(f.message)).bodyStructure
        Self.compare(got, Self.wrapped(f.bodyStructure))
    }

    /// Every deliberate difference from Dovecot is explained in DIFFERENCES.md.
    @Test func everyDifferenceIsDocumented() throws {
        let doc = String(decoding: CorpusFixture.read(CorpusFixture.directory + "/DIFFERENCES.md") ?? [], as: UTF8.self)
        for f in Self.fixtures where f.differsFromDovecot {
            #expect(doc.contains(f.name), "\(f.name) differs from Dovecot but is not in DIFFERENCES.md")
        }
    }
}
