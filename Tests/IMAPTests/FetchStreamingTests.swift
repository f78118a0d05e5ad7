import IMAP
import Testing
import TestSupport

@Suite("FETCH rendering: streaming whole messages from disk")
struct FetchStreamingTests {
    /// Expands the pieces the way the session does: ranges come from the stored bytes through
    /// `IMAPCRLFStream`, fed in random chunk sizes.
    static func expand(_ pieces: [IMAPFetchPiece], stored: [UInt8], seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var out: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .bytes(let b):
                out += b
            case .messageRange(let offset, let count):
                var stream = IMAPCRLFStream(range: offset..<(offset + count))
                var position = 0
                while !stream.isComplete, position < stored.count {
                    let size = Int.random(in: 1...17, using: &generator)
                    let end = min(stored.count, position + size)
                    out += stream.feed(stored[position..<end])
                    position = end
                }
            }
        }
        return out
    }

    static let requests: [[IMAPFetchAttribute]] = [
        [section()],
        [.uid, section(peek: false), .flags],
        [.rfc822, .rfc822Size],
        [section(partial: IMAPPartial(offset: 0, length: 1))],
        [section(partial: IMAPPartial(offset: 30, length: 2))],  // CR LF of the first line
        [section(partial: IMAPPartial(offset: 31, length: 50))],  // starts on the LF
        [section(partial: IMAPPartial(offset: 100, length: 100_000))],
        [section(partial: IMAPPartial(offset: 762, length: 1))],
        [section(partial: IMAPPartial(offset: 100_000, length: 10))],
        [section(), section(partial: IMAPPartial(offset: 10, length: 10)), .uid],
    ]

    @Test(arguments: requests, [FetchFixtures.simple, FetchFixtures.multipart, FetchFixtures.undated])
    func streamingMatchesInMemory(_ attributes: [IMAPFetchAttribute], text: String) {
        #expect(IMAPFetchRenderer.needs(attributes) == .wholeMessageOnly)
        for (name, stored) in FetchFixtures.variants(text) {
            let content = IMAPMessageContent(storedBytes: stored)
            let metadata = IMAPMessageMetadata(sequenceNumber: 3, uid: 9, flags: ["\\Seen"], internalDate: 0,
                                               virtualSize: content.bytes.count)
            let inMemory = IMAPFetchRenderer.render(attributes, message: metadata, content: content, addUID: true,
                                                   includeFlags: true)
            let streamed = IMAPFetchRenderer.render(attributes, message: metadata, content: nil, addUID: true,
                                                   includeFlags: true)
            #expect(inMemory.count == 1, "\(name): in memory is one piece")
            let expected = Self.expand(inMemory, stored: stored, seed: 0)
            for seed: UInt64 in 1...5 {
                #expect(show(Self.expand(streamed, stored: stored, seed: seed)) == show(expected), "\(name) seed \(seed)")
            }
        }
    }

    @Test func streamedPiecesAreTheLiteralHeaderThenTheRange() {
        let metadata = IMAPMessageMetadata(sequenceNumber: 3, uid: 9, flags: [], internalDate: 0, virtualSize: 500)
        let pieces = IMAPFetchRenderer.render([section(partial: IMAPPartial(offset: 450, length: 100)), .uid],
                                              message: metadata, content: nil, addUID: false, includeFlags: false)
        #expect(pieces == [
            .bytes(bytes("* 3 FETCH (BODY[]<450> {50}\r\n")),
            .messageRange(offset: 450, count: 50),
            .bytes(bytes(" UID 9)\r\n")),
        ])
    }
}

@Suite("IMAPCRLFStream")
struct CRLFStreamTests {
    static func run(_ chunks: [[UInt8]], range: Range<Int>) -> [UInt8] {
        var stream = IMAPCRLFStream(range: range)
        var out: [UInt8] = []
        for chunk in chunks { out += stream.feed(chunk) }
        #expect(stream.isComplete)
        return out
    }

    @Test func bareLFBecomesCRLF() {
        #expect(Self.run([bytes("a\nb\n")], range: 0..<6) == bytes("a\r\nb\r\n"))
    }

    @Test func crAtTheEndOfAChunkPairsWithLFInTheNext() {
        #expect(Self.run([bytes("a\r"), bytes("\nb")], range: 0..<4) == bytes("a\r\nb"))
        #expect(Self.run([bytes("a\r"), bytes("\n"), bytes("\n")], range: 0..<5) == bytes("a\r\n\r\n"))
    }

    @Test func bareCRStays() {
        #expect(Self.run([bytes("a\rb\n")], range: 0..<5) == bytes("a\rb\r\n"))
    }

    @Test func rangeCanSplitAnInsertedCRLF() {
        // Normalised "a\r\nb": offset 2 is the LF whose CR was inserted.
        #expect(Self.run([bytes("a\nb")], range: 2..<4) == bytes("\nb"))
        #expect(Self.run([bytes("a"), bytes("\n"), bytes("b")], range: 1..<2) == bytes("\r"))
    }

    @Test func stopsOnceComplete() {
        var stream = IMAPCRLFStream(range: 0..<2)
        #expect(stream.feed(bytes("abc")) == bytes("ab"))
        #expect(stream.isComplete)
        #expect(stream.feed(bytes("def")).isEmpty)
        #expect(IMAPCRLFStream(range: 5..<5).isComplete)
    }
}
