import LineProtocol
import NIOCore
import Synchronization

/// One RETR or TOP response in the making: the message is opened on the first chunk, read a
/// chunk at a time and dot-stuffed on the way (lines may span chunks). Each `nextChunk` call
/// is blocking work, made one after the other by the connection's stream.
final class MessageTransfer: Sendable {
    private struct State {
        var reader: (any POP3MessageReader)?
        var stuffer: DotStuffer
        var firstLine: String?
        var hasSentAnything = false
    }

    private let maildrop: any POP3Maildrop
    private let index: Int
    private let state: Mutex<State>

    init(maildrop: any POP3Maildrop, index: Int, firstLine: String, bodyLineLimit: Int?) {
        self.maildrop = maildrop
        self.index = index
        self.state = Mutex(State(stuffer: DotStuffer(bodyLineLimit: bodyLineLimit), firstLine: firstLine))
    }

    /// Whether a chunk was handed out already (then a failure cannot become an `-ERR`).
    var hasSentAnything: Bool { state.withLock { $0.hasSentAnything } }

    /// Blocking. The next piece of the response; the last one ends with ".\r\n".
    func nextChunk() throws -> (chunk: ByteBuffer, isLast: Bool) {
        try state.withLock { state in
            let reader = try state.reader ?? maildrop.openMessage(index)
            state.reader = reader
            let bytes = try reader.read(upTo: POP3Connection.retrieveChunkSize)
            var out = ByteBufferAllocator().buffer(capacity: bytes.count + bytes.count / 32 + 64)
            if let firstLine = state.firstLine {
                out.writeString(firstLine)
                out.writeStaticString("\r\n")
                state.firstLine = nil
            }
            state.stuffer.append(bytes, into: &out)
            let isLast = bytes.isEmpty || bytes.count < POP3Connection.retrieveChunkSize || state.stuffer.isComplete
            if isLast {
                state.stuffer.finish(into: &out)
                reader.close()
            }
            state.hasSentAnything = true
            return (out, isLast)
        }
    }
}

extension MessageTransfer {
    /// Blocking. A whole RETR response (first line, dot-stuffed message, final dot) in one buffer,
    /// for a message small enough to be read ahead.
    static func completeResponse(maildrop: any POP3Maildrop, index: Int, firstLine: String) throws -> ByteBuffer {
        let transfer = MessageTransfer(maildrop: maildrop, index: index, firstLine: firstLine, bodyLineLimit: nil)
        var (response, isLast) = try transfer.nextChunk()
        while !isLast {
            var chunk: ByteBuffer
            (chunk, isLast) = try transfer.nextChunk()
            response.writeBuffer(&chunk)
        }
        return response
    }
}
