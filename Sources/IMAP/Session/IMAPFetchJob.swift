import MailStore
import NIOCore
import Synchronization

/// One FETCH response, made chunk by chunk on the disk pool (`LineConnection.stream` asks for
/// the next chunk only once the last one could be written). Each chunk holds whole responses
/// up to about `chunkSize`, except that a large message literal is read from disk and sent in
/// pieces of that size, so memory stays bounded whatever the mailbox holds.
final class IMAPFetchJob: Sendable {
    /// Output gathered per chunk, and the piece size of a streamed message.
    static let chunkSize = 64 * 1024
    /// Messages larger than this are streamed from disk when only whole-message sections are
    /// asked for; smaller ones (and anything needing the MIME tree) are read whole.
    static let streamingThreshold = 256 * 1024

    private struct Streaming {
        var reader: MessageFileReader
        var normalizer: IMAPCRLFStream
    }

    private struct Progress {
        var next = 0
        var seenDone = false
        /// The messages whose \Seen this FETCH set: their responses include FLAGS.
        var seenChanges: [MessageRecord] = []
        var newlySeen: Set<UInt32> = []
        /// What is left of the current message's response.
        var pieces: ArraySlice<IMAPFetchPiece> = []
        var streaming: Streaming?
        var missedExpunged = false
        /// The first BINARY item a message could not answer (its response is left out).
        var binaryRefusal: IMAPBinarySection.Refusal?
        var sentAnything = false
    }

    private let targets: [(sequenceNumber: Int, uid: UInt32)]
    private let attributes: [IMAPFetchAttribute]
    private let needs: IMAPFetchNeeds
    /// Whether BINARY or BINARY.SIZE is asked for (RFC 3516).
    private let hasBinaryItems: Bool
    /// Whether the cached ENVELOPE/BODYSTRUCTURE can answer everything asked.
    private let structureOnly: Bool
    private let mailbox: SharedMailbox
    private let recent: Set<UInt32>
    private let addUID: Bool
    private let setsSeen: Bool
    private let origin: UInt64
    private let allocator: ByteBufferAllocator
    private let progress = Mutex(Progress())

    init(targets: [(sequenceNumber: Int, uid: UInt32)], attributes: [IMAPFetchAttribute], mailbox: SharedMailbox,
         recent: Set<UInt32>, addUID: Bool, setsSeen: Bool, origin: UInt64, allocator: ByteBufferAllocator) {
        self.targets = targets
        self.attributes = attributes
        self.needs = IMAPFetchRenderer.needs(attributes)
        self.hasBinaryItems = attributes.contains(where: \.isBinary)
        self.structureOnly = needs == .content && IMAPMessageStructure.canAnswer(attributes)
        self.mailbox = mailbox
        self.recent = recent
        self.addUID = addUID
        self.setsSeen = setsSeen
        self.origin = origin
        self.allocator = allocator
    }

    /// Whether a requested message had been expunged by another session (RFC 5530 EXPUNGEISSUED).
    var missedExpunged: Bool { progress.withLock { $0.missedExpunged } }
    /// The flag changes the FETCH made (\Seen), already in its responses.
    var seenChanges: [MessageRecord] { progress.withLock { $0.seenChanges } }
    /// Whether part of the response has been made (an error then cannot be answered cleanly).
    var hasSentAnything: Bool { progress.withLock { $0.sentAnything } }
    /// Why a BINARY item could not be answered for some message (RFC 3516 §4.3: the FETCH fails).
    var binaryRefusal: IMAPBinarySection.Refusal? { progress.withLock { $0.binaryRefusal } }

    /// Blocking. The next part of the response, and whether it is the last.
    func nextChunk() throws -> (chunk: ByteBuffer, isLast: Bool) {
        try progress.withLock { progress in
            if !progress.seenDone {
                progress.seenDone = true
                if setsSeen { try markSeen(&progress) }
            }
            var buffer = allocator.buffer(capacity: Self.chunkSize + 1024)
            var state = mailbox.state
            while buffer.readableBytes < Self.chunkSize {
                if progress.streaming != nil {
                    try stream(&progress, into: &buffer)
                } else if let piece = progress.pieces.popFirst() {
                    switch piece {
                    case .bytes(let bytes):
                        buffer.writeBytes(bytes)
                    case .messageRange(let offset, let count):
                        let reader = try mailbox.openMessage(uid: targets[progress.next - 1].uid)
                        progress.streaming = Streaming(reader: reader, normalizer: IMAPCRLFStream(range: offset..<(offset + count)))
                    }
                } else if progress.next < targets.count {
                    let target = targets[progress.next]
                    progress.next += 1
                    if progress.next % 1024 == 0 { state = mailbox.state }
                    guard let index = state.index(ofUID: target.uid, hint: target.sequenceNumber - 1) else {
                        progress.missedExpunged = true
                        continue
                    }
                    do {
                        progress.pieces = try render(target, state.messages[index], state, newlySeen: progress.newlySeen)[...]
                    } catch let refusal as IMAPBinarySection.Refusal {
                        if progress.binaryRefusal == nil { progress.binaryRefusal = refusal }
                    }
                } else {
                    break
                }
            }
            progress.sentAnything = progress.sentAnything || buffer.readableBytes > 0
            let isLast = progress.next >= targets.count && progress.pieces.isEmpty && progress.streaming == nil
            return (buffer, isLast)
        }
    }

    private func render(_ target: (sequenceNumber: Int, uid: UInt32), _ record: MessageRecord, _ state: MailboxState,
                        newlySeen: Set<UInt32>) throws -> [IMAPFetchPiece] {
        let metadata = IMAPMessageMetadata(
            sequenceNumber: UInt32(target.sequenceNumber), uid: target.uid,
            flags: IMAPWireFlags.list(record, state, recent: recent), internalDate: record.internalDate,
            virtualSize: record.virtualSize, modSeq: record.modSeq, emailID: record.emailID.description)
        let includeFlags = newlySeen.contains(target.uid)
        if structureOnly {
            let structure = try structure(of: target.uid)
            return IMAPFetchRenderer.render(
                attributes, message: metadata, content: nil, structure: structure, addUID: addUID, includeFlags: includeFlags)
        }
        var content: IMAPMessageContent?
        if needs == .content || (needs == .wholeMessageOnly && record.size <= Self.streamingThreshold) {
            let parsed = IMAPMessageContent(storedBytes: try mailbox.readMessage(uid: target.uid))
            if hasBinaryItems, let refusal = IMAPBinarySection.refusal(attributes, in: parsed) { throw refusal }
            if needs == .content, mailbox.cachedBlob(uid: target.uid) == nil {
                mailbox.setCachedBlob(IMAPMessageStructure(parsed).blob, uid: target.uid)
            }
            content = parsed
        }
        return IMAPFetchRenderer.render(
            attributes, message: metadata, content: content, addUID: addUID, includeFlags: includeFlags)
    }

    /// ENVELOPE / BODY / BODYSTRUCTURE of a message, from the cache, else from its header alone
    /// when only ENVELOPE is asked for, else from the whole message; the cache keeps what was made.
    private func structure(of uid: UInt32) throws -> IMAPMessageStructure {
        let cached = mailbox.cachedBlob(uid: uid).flatMap(IMAPMessageStructure.init(blob:))
        if let cached, cached.answers(attributes) { return cached }
        let made: IMAPMessageStructure
        if IMAPMessageStructure.needsBodyParts(attributes) {
            made = IMAPMessageStructure(IMAPMessageContent(storedBytes: try mailbox.readMessage(uid: uid)))
        } else {
            made = IMAPMessageStructure(header: IMAPMessageContent(storedBytes: try IMAPHeaderReader.header(of: uid, in: mailbox)))
        }
        mailbox.setCachedBlob(made.blob, uid: uid)
        return made
    }

    /// Sends the next piece of a message literal, normalised to CRLF.
    private func stream(_ progress: inout Progress, into buffer: inout ByteBuffer) throws {
        guard var streaming = progress.streaming else { return }
        let stored = try streaming.reader.read(upTo: Self.chunkSize)
        buffer.writeBytes(streaming.normalizer.feed(stored))
        if streaming.normalizer.isComplete {
            streaming.reader.close()
            progress.streaming = nil
        } else if stored.isEmpty {
            // The file is shorter than its recorded size: the literal cannot be completed.
            streaming.reader.close()
            throw IMAPFetchError.messageChanged(uid: targets[progress.next - 1].uid)
        } else {
            progress.streaming = streaming
        }
    }

    /// Sets \Seen on the messages a non-PEEK body fetch reads (RFC 3501 §6.4.5).
    private func markSeen(_ progress: inout Progress) throws {
        let state = mailbox.state
        var unseen = targets.compactMap { target -> UInt32? in
            guard let index = state.index(ofUID: target.uid), !state.messages[index].flags.contains(.seen) else { return nil }
            return target.uid
        }
        if hasBinaryItems {
            // A message whose BINARY cannot be answered is left out of the response, so it is not read:
            // it keeps its \Seen as it was (RFC 3516 §4.3 fails the request for it).
            unseen = try unseen.filter { uid in
                IMAPBinarySection.refusal(attributes, in: IMAPMessageContent(storedBytes: try mailbox.readMessage(uid: uid))) == nil
            }
        }
        guard !unseen.isEmpty else { return }
        progress.seenChanges = try mailbox.store(unseen, flags: .seen, keywords: [], mode: .add, origin: origin)
        progress.newlySeen = Set(progress.seenChanges.map(\.uid))
    }
}

enum IMAPFetchError: Error, CustomStringConvertible {
    case messageChanged(uid: UInt32)

    var description: String {
        switch self {
        case .messageChanged(let uid): "message UID \(uid) is shorter on disk than its recorded size"
        }
    }
}
