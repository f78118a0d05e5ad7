import Foundation
import LineProtocol
import NIOCore
import Testing

@Suite struct LineFramerTests {
    /// Feeds `input` in chunks of `chunkSize` bytes and collects every frame.
    private func frames(_ input: String, maxLineLength: Int = 16, chunkSize: Int) -> [String] {
        var framer = LineFramer(maxLineLength: maxLineLength)
        var buffer = ByteBuffer()
        var out: [String] = []
        let bytes = Array(input.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunkSize, bytes.count)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let frame = framer.next(from: &buffer) {
                switch frame {
                case .line(let line): out.append(String(buffer: line))
                case .tooLong: out.append("<too long>")
                }
            }
        }
        return out
    }

    @Test("splits CRLF and bare LF lines, whole or drip-fed", arguments: [1, 2, 3, 100])
    func splitsLines(chunkSize: Int) {
        #expect(frames("USER a\r\nPASS b c\r\n\r\nQUIT\n", chunkSize: chunkSize) == ["USER a", "PASS b c", "", "QUIT"])
    }

    @Test("keeps a partial line until its ending arrives")
    func partialLine() {
        var framer = LineFramer(maxLineLength: 16)
        var buffer = ByteBuffer(string: "NOO")
        #expect(framer.next(from: &buffer) == nil)
        buffer.writeString("P\r\n")
        #expect(framer.next(from: &buffer) == .line(ByteBuffer(string: "NOOP")))
    }

    @Test("an overlong line is reported once and skipped; the next line is intact", arguments: [1, 5, 200])
    func overlongLine(chunkSize: Int) {
        let long = String(repeating: "x", count: 40)
        #expect(frames("\(long)\r\nSTAT\r\n", chunkSize: chunkSize) == ["<too long>", "STAT"])
    }

    @Test("a line of exactly the limit, CRLF included, passes; one more byte does not")
    func limitIsInclusive() {
        #expect(frames("12345678901234\r\n", chunkSize: 100) == ["12345678901234"])
        #expect(frames("123456789012345\r\nOK\r\n", chunkSize: 100) == ["<too long>", "OK"])
    }

    @Test("a bare CR inside a line is kept as data")
    func bareCRKept() {
        #expect(frames("A\rB\r\n", chunkSize: 1) == ["A\rB"])
    }
}

@Suite struct DotStuffingTests {
    private func encode(_ message: String, lines: Int? = nil) -> String {
        var out = ByteBuffer()
        DotStuffing.encode(Array(message.utf8), bodyLineLimit: lines, into: &out)
        return String(buffer: out)
    }

    @Test func stuffsLeadingDotsAndTerminates() {
        #expect(encode("a\r\n.b\r\n..c\r\n") == "a\r\n..b\r\n...c\r\n.\r\n")
    }

    @Test func bareLFBecomesCRLF() {
        #expect(encode("a\nb\n") == "a\r\nb\r\n.\r\n")
    }

    @Test func missingFinalNewlineIsAdded() {
        #expect(encode("a\r\nlast") == "a\r\nlast\r\n.\r\n")
        #expect(encode(".") == "..\r\n.\r\n")
    }

    @Test func emptyMessage() {
        #expect(encode("") == ".\r\n")
    }

    @Test("TOP: headers, the blank line, then n body lines")
    func topLines() {
        let message = "Subject: x\r\nFrom: y\r\n\r\nline1\r\n.line2\r\nline3\r\n"
        #expect(encode(message, lines: 0) == "Subject: x\r\nFrom: y\r\n\r\n.\r\n")
        #expect(encode(message, lines: 2) == "Subject: x\r\nFrom: y\r\n\r\nline1\r\n..line2\r\n.\r\n")
        #expect(encode(message, lines: 10) == message.replacingOccurrences(of: ".line2", with: "..line2") + ".\r\n")
    }

    @Test("8-bit bytes pass through untouched")
    func eightBit() {
        var out = ByteBuffer()
        DotStuffing.encode([0xC3, 0xA9, 0xFF, 0x0A], into: &out)
        #expect(Array(out.readableBytesView) == [0xC3, 0xA9, 0xFF, 0x0D, 0x0A, 0x2E, 0x0D, 0x0A])
    }
}
