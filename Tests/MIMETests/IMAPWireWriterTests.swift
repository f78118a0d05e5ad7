import Testing
@testable import MIME

@Suite struct IMAPWireWriterTests {
    static func written(_ s: [UInt8]?) -> String {
        var w = IMAPWireWriter()
        w.nstring(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test func quotedWhenPlain() {
        #expect(Self.written(Array("hello world".utf8)) == "\"hello world\"")
        #expect(Self.written([]) == "\"\"")
        #expect(Self.written(nil) == "NIL")
    }

    @Test func literalForQuotesBackslashLineBreaksAnd8Bit() {
        #expect(Self.written(Array("a\"b".utf8)) == "{3}\r\na\"b")
        #expect(Self.written(Array("a\\b".utf8)) == "{3}\r\na\\b")
        #expect(Self.written(Array("a\r\nb".utf8)) == "{4}\r\na\r\nb")
        #expect(Self.written([0x63, 0x61, 0x66, 0xE9]) == "{4}\r\ncaf\u{FFFD}")
        var w = IMAPWireWriter()
        w.string([0x63, 0x61, 0x66, 0xE9])
        #expect(w.bytes == Array("{4}\r\n".utf8) + [0x63, 0x61, 0x66, 0xE9])
    }

    @Test func nulBecomesReplacementCharacter() {
        var w = IMAPWireWriter()
        w.string([0x61, 0x00, 0x62])
        #expect(w.bytes == Array("{5}\r\n".utf8) + [0x61, 0xEF, 0xBF, 0xBD, 0x62])
    }
}
