import LineProtocol
import Logging
import NIOCore

/// The channel handler of one POP3 connection: the shared skeleton driven by `POP3Connection`.
public typealias POP3ServerHandler = LineConnectionHandler<POP3Connection>

extension LineConnectionHandler where Driver == POP3Connection {
    public convenience init(
        configuration: POP3Session.Configuration,
        backend: any POP3Backend,
        services: ConnectionServices,
        logger: Logger
    ) {
        self.init(
            driver: POP3Connection(configuration: configuration, backend: backend),
            limits: configuration.limits.connection, services: services, logger: logger)
    }
}

/// POP3 on the connection skeleton: frames lines, feeds the `POP3Session`, and carries out its
/// actions. Blocking work (password checks, Maildir access) runs off the event loop; while it
/// runs no further pipelined line is read (RFC 2449 §6.6 keeps responses in order).
public final class POP3Connection: LineProtocolDriver {
    /// Bytes of a message read from disk at a time for RETR and TOP.
    static let retrieveChunkSize = 64 * 1024
    /// Read-ahead for pipelined RETRs: at most this many messages, of at most this many bytes in
    /// all, are read in the job of the RETR before them (a bigger message streams on its own).
    static let readAheadMessages = 32
    static let readAheadBytes = 128 * 1024

    private var session: POP3Session
    private let backend: any POP3Backend
    private var framer: LineFramer
    private var maildrop: (any POP3Maildrop)?
    /// Whole RETR responses read ahead for RETRs the client has pipelined, by message index; each
    /// is taken (and dropped) by its RETR, which then needs no trip to the disk pool.
    private var readAhead: [Int: ByteBuffer] = [:]

    init(configuration: POP3Session.Configuration, backend: any POP3Backend) {
        self.session = POP3Session(configuration: configuration)
        self.backend = backend
        self.framer = LineFramer(maxLineLength: configuration.limits.maxLineLength)
    }

    public var isClosed: Bool { session.isClosed }

    public func start(_ connection: LineConnection) {
        connection.send(session.greeting)
    }

    public func processInput(_ connection: LineConnection) -> Bool {
        guard let frame = framer.next(from: &connection.input) else { return false }
        switch frame {
        case .line(let line): perform(session.lineReceived(line), connection)
        case .tooLong: perform(session.lineTooLong(), connection)
        }
        return true
    }

    public func tlsEstablished(_ info: TLSSessionInfo, _ connection: LineConnection) {
        session.tlsEstablished()
    }

    public func shutdownRequested(_ connection: LineConnection) {
        // Never during a command's work: the skeleton holds this until a RETR has sent its final
        // dot, or a commit of deletions has answered QUIT (and ended the session).
        perform(session.serverShuttingDown(), connection)
    }

    public func timedOut(beforeLogin: Bool, _ connection: LineConnection) {
        perform(beforeLogin ? session.loginTimeoutFired() : session.idleTimeoutFired(), connection)
    }

    public func tooMuchInput(_ connection: LineConnection) {
        perform(session.tooMuchPipelinedInput(), connection)
    }

    public func connectionClosed(_ connection: LineConnection) {
        session.connectionClosed()
        maildrop?.release()
        maildrop = nil
        readAhead = [:]
    }

    // MARK: - Actions

    private func perform(_ action: POP3Session.Action, _ connection: LineConnection) {
        switch action {
        case .none:
            break
        case .reply(let line):
            connection.send(line)
        case .replyMultiline(let first, let lines):
            var buffer = connection.allocator.buffer(capacity: 64 + lines.count * 24)
            buffer.writeString(first)
            buffer.writeStaticString("\r\n")
            DotStuffing.encode(lines.joined(separator: "\r\n").utf8, into: &buffer)
            connection.write(buffer)
        case .replyAndClose(let line):
            connection.sendAndClose(line)
        case .startTLS(let reply):
            if !connection.startTLS(after: "STLS", framer: &framer, sendingReply: { connection.send(reply) }) {
                connection.send("-ERR STLS is not offered on this port.")
            }
        case .authenticate(let username, let password):
            authenticate(username: username, password: password, connection)
        case .openMaildrop(let login):
            openMaildrop(login: login, connection)
        case .retrieve(let index, let size, let topLines):
            retrieve(index: index, size: size, topLines: topLines, connection)
        case .commitDeletions(let indices):
            commitDeletions(indices, connection)
        }
    }

    /// The failure penalty delays only this client's attempt; the loop stays free.
    private func authenticate(username: String, password: String, _ connection: LineConnection) {
        let backend = self.backend
        let clientIP = connection.clientIP
        connection.logIn(username: username, after: backend.failureDelay(clientIP: clientIP)) {
            backend.authenticate(username: username, password: password, clientIP: clientIP)
        } then: { outcome in
            switch outcome {
            case .loggedIn(let login): self.perform(self.session.authenticated(.success(login: login)), connection)
            case .tooManySessions: self.perform(self.session.tooManySessions(), connection)
            case .failed: self.perform(self.session.authenticated(.failure), connection)
            case .temporaryFailure(let why): self.perform(self.session.authenticated(.temporaryFailure(why)), connection)
            }
        }
    }

    private func openMaildrop(login: String, _ connection: LineConnection) {
        let backend = self.backend
        connection.runBlocking { () -> Result<any POP3Maildrop, POP3MaildropError> in
            do throws(POP3MaildropError) {
                return .success(try backend.openMaildrop(login: login))
            } catch {
                return .failure(error)
            }
        } then: { outcome in
            let opened: Result<any POP3Maildrop, POP3MaildropError>
            switch outcome {
            case .success(let result): opened = result
            case .failure(let error): opened = .failure(.unavailable("\(error)"))
            }
            switch opened {
            case .success(let maildrop):
                guard !self.session.isClosed else {
                    maildrop.release()
                    return
                }
                self.maildrop = maildrop
                connection.logger[metadataKey: "user"] = "\(login)"
                self.perform(self.session.maildropOpened(.success(maildrop.messages)), connection)
            case .failure(let error):
                connection.logger.notice("maildrop not opened", metadata: ["user": "\(login)", "error": "\(error)"])
                self.perform(self.session.maildropOpened(.failure(error)), connection)
            }
        }
    }

    /// RETR and TOP stream the message from disk in chunks, dot-stuffed on the way; the next
    /// chunk is read only once the last one could be written, so a large message (or a client
    /// that pipelines RETRs and never reads) costs one chunk of memory, not the message.
    /// A small RETR with more RETRs pipelined behind it reads their messages too, in one job.
    private func retrieve(index: Int, size: Int, topLines: Int?, _ connection: LineConnection) {
        guard let maildrop else { return }
        if topLines == nil {
            if let response = readAhead.removeValue(forKey: index) {
                connection.queue(response)
                return
            }
            let following = readAheadIndices(after: index, size: size, maildrop.messages, connection.input)
            if !following.isEmpty {
                retrieveReadingAhead([index] + following, maildrop, connection)
                return
            }
        }
        let transfer = MessageTransfer(
            maildrop: maildrop, index: index, firstLine: Self.retrieveStatusLine(size: size), bodyLineLimit: topLines)
        connection.stream({ try transfer.nextChunk() }) { outcome in
            if case .failure(let error) = outcome {
                connection.logger.error("message could not be read", metadata: ["error": "\(error)"])
                connection.services.metrics?.storageFailed()
                if transfer.hasSentAnything {
                    connection.close()  // a response cut off mid-way cannot be repaired
                } else {
                    self.perform(self.session.retrieveFailed(), connection)
                }
            }
        }
    }

    /// The first line of a RETR or TOP answer, the same whether the message streams or was read ahead.
    static func retrieveStatusLine(size: Int) -> String { "+OK \(size) octets" }

    /// The indices of the messages that the RETRs pipelined after this one ask for, while they are
    /// small and within the read-ahead budget; none when this message is large.
    private func readAheadIndices(
        after index: Int, size: Int, _ messages: [POP3MessageInfo], _ input: ByteBuffer
    ) -> [Int] {
        var budget = Self.readAheadBytes - size
        guard budget > 0 else { return [] }
        var indices: [Int] = []
        for number in PipelinedRetrievals.numbers(in: input.readableBytesView, limit: Self.readAheadMessages) {
            let following = number - 1
            guard messages.indices.contains(following), following != index, !indices.contains(following),
                  readAhead[following] == nil
            else { continue }
            budget -= messages[following].size
            guard budget >= 0 else { break }
            indices.append(following)
        }
        return indices
    }

    /// One disk job for `indices[0]` (answered now) and the messages after it (kept for their RETRs).
    /// A message that cannot be read ahead is simply not kept: its own RETR reads it and reports.
    private func retrieveReadingAhead(_ indices: [Int], _ maildrop: any POP3Maildrop, _ connection: LineConnection) {
        let messages = maildrop.messages
        connection.runBlocking { () -> [Result<ByteBuffer, any Error>] in
            indices.map { index in
                Result { try MessageTransfer.completeResponse(
                    maildrop: maildrop, index: index, firstLine: Self.retrieveStatusLine(size: messages[index].size)) }
            }
        } then: { outcome in
            let responses = (try? outcome.get()) ?? []
            guard case .success(let first)? = responses.first else {
                if case .failure(let error)? = responses.first {
                    connection.logger.error("message could not be read", metadata: ["error": "\(error)"])
                    connection.services.metrics?.storageFailed()
                }
                self.perform(self.session.retrieveFailed(), connection)
                return
            }
            for (index, response) in zip(indices.dropFirst(), responses.dropFirst()) {
                if case .success(let bytes) = response { self.readAhead[index] = bytes }
            }
            connection.queue(first)
        }
    }

    /// RFC 1939 §6: only now are messages removed, and +OK goes out once that is on disk.
    private func commitDeletions(_ indices: [Int], _ connection: LineConnection) {
        guard let maildrop else { return }
        connection.runBlocking {
            try maildrop.delete(indices)
        } then: { outcome in
            let success: Bool
            switch outcome {
            case .success:
                success = true
                connection.logger.info("messages deleted", metadata: ["count": "\(indices.count)"])
            case .failure(let error):
                success = false
                connection.logger.error("deleting messages failed", metadata: ["error": "\(error)"])
                connection.services.metrics?.storageFailed()
            }
            self.perform(self.session.deletionsCommitted(success: success), connection)
        }
    }
}
