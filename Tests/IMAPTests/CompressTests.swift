import IMAP
import LineProtocol
import NIOCore
import Testing

/// COMPRESS (RFC 4978) in the session: when it is offered, when it is refused, and that the layer
/// goes in front of the session right after the uncompressed OK. The zlib layer itself is
/// tested in DeflateTests, the whole path with Python's zlib in IMAPCompressEndToEndTests.
@Suite struct CompressTests {
    /// Stands in for the DEFLATE layer: passes bytes through and remembers it was installed.
    final class Marker: ChannelDuplexHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
    }

    @Test("offered after login only; OK puts the layer in front of the session; a second COMPRESS gets NO [COMPRESSIONACTIVE]")
    func started() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let marker = Marker()
        let session = try IMAPHarness(backend: backend, compression: CompressionUpgrade { _ in marker })
        defer { session.close() }
        #expect(session.output().contains(" COMPRESS=DEFLATE"))
        #expect(try session.send("a COMPRESS DEFLATE\r\n").hasPrefix("a BAD"))
        try session.login()
        #expect(try session.send("b COMPRESS LZW\r\n").hasPrefix("b BAD"))
        #expect(try session.send("c COMPRESS\r\n").hasPrefix("c BAD"))
        #expect(try session.send("d COMPRESS DEFLATE\r\n") == "d OK DEFLATE active.\r\n")
        #expect((try? session.channel.pipeline.syncOperations.context(handler: marker)) != nil)
        #expect(try session.send("e compress deflate\r\n").hasPrefix("e NO [COMPRESSIONACTIVE]"))
        #expect(try session.send("f NOOP\r\n").hasPrefix("f OK"))
    }

    @Test("every slot taken: NO [LIMIT], and the session goes on uncompressed")
    func noSlot() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        let session = try IMAPHarness(backend: backend, compression: CompressionUpgrade { _ in nil })
        defer { session.close() }
        _ = session.output()
        try session.login()
        #expect(try session.send("a COMPRESS DEFLATE\r\n").hasPrefix("a NO [LIMIT]"))
        #expect(try session.send("b SELECT INBOX\r\n").contains("b OK"))
    }

    @Test("a listener without the layer, or one that withholds it: not advertised, BAD")
    func notOffered() throws {
        let backend = try TemporaryMailBackend()
        defer { backend.remove() }
        for session in [
            try IMAPHarness(backend: backend),
            try IMAPHarness(backend: backend, withheld: ["COMPRESS=DEFLATE"], compression: CompressionUpgrade { _ in Marker() }),
        ] {
            defer { session.close() }
            #expect(!session.output().contains("COMPRESS"))
            try session.login()
            #expect(!(try session.send("c CAPABILITY\r\n")).contains("COMPRESS"))
            #expect(try session.send("a COMPRESS DEFLATE\r\n").hasPrefix("a BAD COMPRESS is not offered"))
        }
    }
}
