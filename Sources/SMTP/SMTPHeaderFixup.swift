import Foundation
import NIOCore

/// Puts Loft's header fields in front of a message as it streams by. It holds back the header
/// block (up to `maxHeaderBytes`) until the empty line that ends it, looks for `Message-ID:`
/// and `Date:` there (field names are case-insensitive, RFC 5322 §1.2.2), then releases
/// `Received:`, any missing field, and the held bytes; everything after passes straight through.
public struct SMTPHeaderFixup: Sendable {
    private let envelope: SMTPEnvelope
    private let hostname: String
    private let maxHeaderBytes: Int
    private var held = ByteBuffer()
    private var released = false

    public init(envelope: SMTPEnvelope, hostname: String, maxHeaderBytes: Int) {
        self.envelope = envelope
        self.hostname = hostname
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// Takes the next content bytes and returns what may be written now (possibly nothing).
    public mutating func process(_ bytes: ByteBuffer) -> ByteBuffer? {
        if released { return bytes }
        let searchFrom = max(held.readerIndex, held.writerIndex - 3)
        var bytes = bytes
        held.writeBuffer(&bytes)
        if headerEnds(searchingFrom: searchFrom) || held.readableBytes >= maxHeaderBytes {
            return release()
        }
        return nil
    }

    /// At the end of the message: whatever is still held, with the added fields.
    public mutating func finish() -> ByteBuffer? {
        released ? nil : release()
    }

    /// The header block ends at the first empty line: CRLF CRLF, or CRLF at the very start.
    private func headerEnds(searchingFrom start: Int) -> Bool {
        let view = held.readableBytesView
        if view.starts(with: [13, 10]) { return true }
        var index = Swift.max(view.startIndex, start)
        while index + 3 < view.endIndex {
            if view[index] == 13 && view[index + 1] == 10 && view[index + 2] == 13 && view[index + 3] == 10 { return true }
            index += 1
        }
        return false
    }

    private mutating func release() -> ByteBuffer {
        released = true
        let names = fieldNames()
        var out = ByteBuffer()
        out.writeString(SMTPTraceHeaders.received(envelope: envelope, hostname: hostname))
        if !names.contains("message-id") { out.writeString(SMTPTraceHeaders.messageID(envelope: envelope, hostname: hostname)) }
        if !names.contains("date") { out.writeString(SMTPTraceHeaders.dateField(envelope.receivedAt)) }
        out.writeBuffer(&held)
        return out
    }

    /// Lower-cased names of the fields in the held header block (continuation lines skipped), read
    /// over the bytes up to the empty line only: `held` may also hold much of the body.
    private func fieldNames() -> Set<String> {
        var names: Set<String> = []
        let view = held.readableBytesView
        var lineStart = view.startIndex
        while lineStart < view.endIndex {
            let lineEnd = view[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? view.endIndex
            var contentEnd = lineEnd
            if contentEnd > lineStart, view[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd == lineStart { break }  // the empty line: the header block is over
            let first = view[lineStart]
            if first != UInt8(ascii: " "), first != UInt8(ascii: "\t"),
               let colon = view[lineStart..<contentEnd].firstIndex(of: UInt8(ascii: ":")) {
                var name = view[lineStart..<colon]
                while let last = name.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { name = name.dropLast() }
                names.insert(String(decoding: name, as: UTF8.self).lowercased())
            }
            lineStart = lineEnd + 1
        }
        return names
    }
}
