import LineProtocol
import NIOCore

/// Glue-side storage of one message: content is checked, given Loft's header fields and
/// written to the backend's writer on the thread pool, one write after the other, while the
/// connection keeps reading. When more than `SMTPLimits.maxBufferedContent` octets wait for
/// the disk, `backlogChanged(true)` asks the glue to stop reading until they drain to a
/// quarter of that, so a slow disk never makes a message pile up in memory. Lives on the
/// channel's event loop.
final class SMTPMessageIntake {
    private var checker: SMTPContentChecker
    private var fixup: SMTPHeaderFixup
    /// The writer after every write queued so far; failed once storage failed (the writer is
    /// then already aborted).
    private var chain: EventLoopFuture<any SMTPMessageWriter>
    private let blockingWork: any BlockingWorkRunner
    private let eventLoop: any EventLoop
    private var finished = false
    private let highWater: Int
    private var octetsInFlight = 0
    private var backlogged = false
    private let backlogChanged: (Bool) -> Void

    init(envelope: SMTPEnvelope, configuration: SMTPServerConfiguration, backend: any SMTPBackend,
         blockingWork: any BlockingWorkRunner, eventLoop: any EventLoop,
         backlogChanged: @escaping (Bool) -> Void) {
        let limits = configuration.limits
        checker = SMTPContentChecker(maxMessageSize: limits.maxMessageSize, maxLineLength: limits.maxTextLineLength)
        fixup = SMTPHeaderFixup(envelope: envelope, hostname: configuration.hostname, maxHeaderBytes: limits.maxHeaderBytes)
        self.blockingWork = blockingWork
        self.eventLoop = eventLoop
        self.highWater = limits.maxBufferedContent
        self.backlogChanged = backlogChanged
        chain = blockingWork.run(on: eventLoop) { try backend.beginMessage(envelope) }
    }

    /// The first content problem found so far.
    var rejection: SMTPContentRejection? { checker.rejection }
    /// Octets of content received so far.
    var size: Int { checker.size }

    /// The next content octets. Once the content is refused nothing more is stored.
    func append(_ bytes: ByteBuffer) {
        checker.check(bytes)
        guard checker.rejection == nil, let out = fixup.process(bytes) else { return }
        enqueue(out)
    }

    /// The content is complete: commit (or abort, if the content was refused) and report.
    func finish(_ done: @escaping (SMTPMessageOutcome) -> Void) {
        finished = true
        checker.finish()
        if let rejection = checker.rejection {
            abortChain().assumeIsolated().whenComplete { _ in done(.rejected(rejection)) }
            return
        }
        if let rest = fixup.finish() { enqueue(rest) }
        let blockingWork = self.blockingWork, eventLoop = self.eventLoop
        chain.flatMap { writer -> EventLoopFuture<Void> in
            blockingWork.run(on: eventLoop) {
                do {
                    try writer.commit()
                } catch {
                    writer.abort()
                    throw error
                }
            }
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success: done(.committed)
            case .failure(let refusal as SMTPStorageRefusal): done(.refused(refusal.reply))
            case .failure(let error): done(.failed("\(error)"))
            }
        }
    }

    /// The transaction ended without the message (RSET, EHLO, a closed connection): nothing
    /// becomes visible. Does nothing once `finish` was called.
    func cancel() {
        guard !finished else { return }
        finished = true
        _ = abortChain()
    }

    private func abortChain() -> EventLoopFuture<Void> {
        let blockingWork = self.blockingWork, eventLoop = self.eventLoop
        return chain.flatMap { writer in
            blockingWork.run(on: eventLoop) { writer.abort() }
        }
    }

    private func enqueue(_ bytes: ByteBuffer) {
        let blockingWork = self.blockingWork, eventLoop = self.eventLoop
        let octets = bytes.readableBytes
        octetsInFlight += octets
        if !backlogged && octetsInFlight > highWater {
            backlogged = true
            backlogChanged(true)
        }
        chain = chain.flatMap { writer in
            blockingWork.run(on: eventLoop) {
                do {
                    try writer.write(bytes)
                } catch {
                    writer.abort()
                    throw error
                }
                return writer
            }
        }
        chain.assumeIsolated().whenComplete { _ in self.written(octets) }
    }

    private func written(_ octets: Int) {
        octetsInFlight -= octets
        if backlogged && octetsInFlight <= highWater / 4 {
            backlogged = false
            backlogChanged(false)
        }
    }
}
