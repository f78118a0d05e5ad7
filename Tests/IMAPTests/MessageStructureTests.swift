@testable import IMAP
import Testing

/// The cached ENVELOPE/BODY/BODYSTRUCTURE must answer a FETCH exactly as parsing the message does.
@Suite struct MessageStructureTests {
    static let messages = [
        "From: Bob <bob@example.org>\nTo: a@example.org, \"Q \\\" uote\" <q@example.org>\nSubject: =?UTF-8?Q?h=C3=A9?=\n\nbody\n",
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b\r\n"
            + "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n",
        "no header at all",
    ]

    @Test("a structure read back from its blob renders the same bytes as the parsed message", arguments: messages)
    func cachedEqualsParsed(message: String) throws {
        let content = IMAPMessageContent(storedBytes: Array(message.utf8))
        let structure = try #require(IMAPMessageStructure(blob: IMAPMessageStructure(content).blob))
        let attributes: [IMAPFetchAttribute] = [.uid, .envelope, .bodyStructure(extensions: true), .bodyStructure(extensions: false)]
        #expect(IMAPMessageStructure.canAnswer(attributes))
        let metadata = IMAPMessageMetadata(sequenceNumber: 3, uid: 9, flags: ["\\Seen"], internalDate: 0, virtualSize: 10)
        let parsed = IMAPFetchRenderer.render(attributes, message: metadata, content: content, addUID: true, includeFlags: false)
        let cached = IMAPFetchRenderer.render(
            attributes, message: metadata, content: nil, structure: structure, addUID: true, includeFlags: false)
        #expect(cached == parsed)
    }

    @Test("a damaged blob is refused, not misread")
    func damagedBlob() {
        let blob = IMAPMessageStructure(envelope: [1, 2], body: [3], bodyStructure: [4, 5, 6]).blob
        #expect(IMAPMessageStructure(blob: blob) != nil)
        #expect(IMAPMessageStructure(blob: Array(blob.dropLast())) == nil)
        #expect(IMAPMessageStructure(blob: blob + [0]) == nil)
        #expect(IMAPMessageStructure(blob: [0xFF, 0xFF, 0xFF, 0x7F]) == nil)
        #expect(!IMAPMessageStructure.canAnswer([.envelope, .bodySection(IMAPSection(), partial: nil, peek: true)]))
    }
}

extension MessageStructureTests {
    @Test("an ENVELOPE made from the header alone equals the one from the whole message; it cannot answer BODYSTRUCTURE",
          arguments: messages)
    func headerOnly(message: String) throws {
        let bytes = Array(message.utf8)
        let full = IMAPMessageStructure(IMAPMessageContent(storedBytes: bytes))
        let end = IMAPHeaderReader.endOfHeader(bytes, from: 0) ?? bytes.count
        let header = IMAPMessageStructure(header: IMAPMessageContent(storedBytes: Array(bytes[..<end])))
        #expect(header.envelope == full.envelope)
        #expect(header.answers([.uid, .envelope]))
        #expect(!header.answers([.envelope, .bodyStructure(extensions: true)]))
        #expect(full.answers([.envelope, .bodyStructure(extensions: false)]))
        #expect(IMAPMessageStructure(blob: header.blob) == header)
    }
}
