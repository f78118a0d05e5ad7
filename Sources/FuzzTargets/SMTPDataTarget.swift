import Foundation
import NIOCore
import SMTP

extension FuzzTargets {
    /// The DATA content path. The first byte picks piece sizes; the rest is what the client sends
    /// after `354`. `SMTPDataReceiver` fed all at once, a byte at a time and in those pieces must
    /// agree with each other and with a plain reference reading (the end is the first
    /// CRLF "." CRLF, counting the CRLF that ended DATA; a dot after CRLF is removed), and leave
    /// the bytes after the end unread. `SMTPContentChecker` must find the same problem in every
    /// split, and `SMTPHeaderFixup` must pass the content through unchanged after its fields.
    public static func smtpData(_ data: UnsafeRawBufferPointer) {
        guard let pattern = data.first else { return }
        let bytes = Array(data.dropFirst())
        let reference = referenceData(bytes)

        let whole = receive(bytes, pieces: [bytes.count])
        let single = receive(bytes, pieces: Array(repeating: 1, count: bytes.count))
        var sizes: [Int] = []
        var total = 0, seed = UInt64(pattern) &+ 1
        while total < bytes.count {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let size = 1 + Int((seed >> 33) % (pattern & 0x80 != 0 ? 7 : 300))
            sizes.append(size)
            total += size
        }
        let pieces = receive(bytes, pieces: sizes)

        for run in [whole, single, pieces] {
            precondition(run.finished == (reference.consumed != nil), "end of data: \(run.finished), reference: \(reference.consumed as Any)")
            if let consumed = reference.consumed {
                precondition(run.consumed == consumed, "consumed \(run.consumed), reference \(consumed)")
                precondition(run.content == reference.content, "content differs from the reference")
            } else {
                // Unfinished: at most a held-back "." or ".\r" is missing from the end.
                precondition(reference.content.starts(with: run.content) && reference.content.count - run.content.count <= 1,
                             "unfinished content differs from the reference")
            }
        }

        // Content checks agree however the content arrives.
        let content = reference.content
        let limits = (size: Int(pattern & 0x3F) * 16 + 1, line: Int(pattern & 0x0F) + 3)
        let rejections = [[content.count], Array(repeating: 1, count: content.count), sizes].map { sizes -> SMTPContentRejection? in
            var checker = SMTPContentChecker(maxMessageSize: limits.size, maxLineLength: limits.line)
            var offset = 0
            for size in sizes where offset < content.count {
                let end = min(offset + size, content.count)
                checker.check(ByteBuffer(bytes: content[offset..<end]))
                offset = end
            }
            checker.finish()
            return checker.rejection
        }
        precondition(rejections.allSatisfy { $0 == rejections[0] }, "content checker depends on the split: \(rejections)")
        if let rejection = rejections[0] { checkSMTPReply(rejection.reply) }

        // Header fix-up: its fields, then the content byte for byte.
        let envelope = SMTPEnvelope(queueID: "0123456789ABCDEF", sender: "alice@example.org",
                                    recipients: [SMTPRecipient(address: "bob@example.org")], authenticatedUser: "alice@example.org",
                                    clientIP: "192.0.2.1", heloName: "client.example", receivedAt: Date(timeIntervalSince1970: 1_700_000_000))
        var fixup = SMTPHeaderFixup(envelope: envelope, hostname: "mail.example.org", maxHeaderBytes: Int(pattern & 0x7F) + 4)
        var output: [UInt8] = []
        var offset = 0
        for size in sizes where offset < content.count {
            let end = min(offset + size, content.count)
            if let out = fixup.process(ByteBuffer(bytes: content[offset..<end])) { output += Array(out.readableBytesView) }
            offset = end
        }
        if let out = fixup.finish() { output += Array(out.readableBytesView) }
        precondition(output.starts(with: Array("Received: from client.example (192.0.2.1)\r\n".utf8)), "no Received: first")
        precondition(output.count >= content.count && Array(output.suffix(content.count)) == content,
                     "header fix-up changed the content")
    }

    struct Received {
        var content: [UInt8] = []
        var consumed = 0
        var finished = false
    }

    static func receive(_ bytes: [UInt8], pieces: [Int]) -> Received {
        var receiver = SMTPDataReceiver()
        var result = Received()
        var offset = 0
        for size in pieces where offset < bytes.count {
            let end = min(offset + size, bytes.count)
            var input = ByteBuffer(bytes: bytes[offset..<end])
            var content = ByteBuffer()
            let done = receiver.consume(&input, into: &content)
            result.content += Array(content.readableBytesView)
            result.consumed += (end - offset) - input.readableBytes
            precondition(done == receiver.isFinished)
            if done {
                result.finished = true
                break
            }
            precondition(input.readableBytes == 0, "unfinished but input left unread")
            offset = end
        }
        return result
    }

    /// RFC 5321 §4.5.2 read plainly: with the CRLF of the DATA line in front, the data ends at
    /// the first CRLF "." CRLF; in what comes before, a "." right after CRLF is removed.
    static func referenceData(_ bytes: [UInt8]) -> (content: [UInt8], consumed: Int?) {
        let text = [13, 10] + bytes
        var end: Int?
        var index = 0
        while index + 4 < text.count {
            if text[index] == 13, text[index + 1] == 10, text[index + 2] == 46, text[index + 3] == 13, text[index + 4] == 10 {
                end = index
                break
            }
            index += 1
        }
        // Content is text[2 ..< end + 2] (the CRLF before the final dot belongs to the content).
        let contentEnd = end.map { $0 + 2 } ?? text.count
        var content: [UInt8] = []
        var position = 2
        while position < contentEnd {
            let byte = text[position]
            let atLineStart = text[position - 2] == 13 && text[position - 1] == 10
            if !(byte == 46 && atLineStart) { content.append(byte) }
            position += 1
        }
        return (content, end.map { $0 + 3 })
    }
}
