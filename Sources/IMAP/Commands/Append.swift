import MailStore
import NIOCore

/// An APPEND whose message is arriving: written to the target mailbox's tmp/ piece by piece,
/// never gathered in memory. With MULTIAPPEND (RFC 3502) the messages before the current one wait
/// in tmp/ too, complete and fsynced, until the command ends.
final class IMAPAppendUpload {
    let tag: String
    let account: IMAPAccount
    let mailbox: SharedMailbox
    /// The message arriving now.
    var writer: MailboxAppend
    /// The earlier messages of a MULTIAPPEND, staged.
    var staged: [MailboxAppend] = []
    /// The first write error; the rest of the message is then read and dropped.
    var failure: (any Error)?
    /// The literal sizes of all messages so far, for the quota check of the whole command.
    var declaredBytes: Int64

    init(tag: String, account: IMAPAccount, mailbox: SharedMailbox, writer: MailboxAppend, declaredBytes: Int64) {
        self.tag = tag
        self.account = account
        self.mailbox = mailbox
        self.writer = writer
        self.declaredBytes = declaredBytes
    }

    /// Every message of the command so far, in order.
    var messages: [MailboxAppend] { staged + [writer] }
}

extension IMAPSession {
    /// RFC 3501 §6.3.11 with UIDPLUS APPENDUID (RFC 4315 §3), MULTIAPPEND (RFC 3502) and literal8
    /// messages (RFC 3516 §4.4). The mailbox is checked before the client is told to send the
    /// message (`+`), so a refused APPEND costs no upload; a missing mailbox gets `NO [TRYCREATE]`,
    /// messages that do not fit the quota `NO [OVERQUOTA]`.
    /// A later message of a MULTIAPPEND (`messageNumber` > 1) joins the upload in progress.
    func appendStarted(_ header: IMAPAppendHeader) {
        let tag = header.tag
        if header.messageNumber > 1 { return nextAppendMessage(header) }
        guard let account = requireAuthenticatedForAppend(tag) else { return }
        if header.binary, withheldCapabilities.contains("BINARY") {
            parser.refuseAppendMessage()
            return bad(tag, "BINARY is not offered on this connection.")
        }
        let flags = IMAPStoredFlags(header.flags)
        if let refused = flags.refused {
            parser.refuseAppendMessage()
            return bad(tag, "\(refused) cannot be set by APPEND (RFC 3501 section 2.3.2).")
        }
        let name: MailboxName
        do {
            name = try self.mailboxName(header.mailbox)
        } catch {
            parser.refuseAppendMessage()
            return fail(tag, error, "APPEND failed")
        }
        let internalDate = header.internalDate.map(\.secondsSince1970)
        let (messageFlags, messageKeywords) = (flags.system, flags.keywords)
        let size = Int64(header.messageSize)
        blocking { () -> (SharedMailbox, MailboxAppend) in
            let mailbox = try account.open(name)
            do {
                // RFC 9208 §4.3: refused with NO [OVERQUOTA] before the client sends the message.
                try account.quota?.check(adding: QuotaUsage(storage: size, messages: 1))
                return (mailbox, try mailbox.beginAppend(flags: messageFlags, keywords: messageKeywords, internalDate: internalDate))
            } catch {
                account.close(mailbox)
                throw error
            }
        } then: { outcome in
            switch outcome {
            case .success((let mailbox, let writer)):
                self.append = IMAPAppendUpload(tag: tag, account: account, mailbox: mailbox, writer: writer,
                                               declaredBytes: size)
                if header.synchronizing { self.continuation("Ready for literal data") }
            case .failure(let error):
                self.parser.refuseAppendMessage()
                if case MailboxError.notFound = error {
                    self.complete(tag, .no, code: "TRYCREATE", "Mailbox \(name) does not exist.")
                } else {
                    self.fail(tag, error, "APPEND failed")
                }
            }
        }
    }

    private func requireAuthenticatedForAppend(_ tag: String) -> IMAPAccount? {
        guard let account = requireAuthenticated(tag) else {
            parser.refuseAppendMessage()
            return nil
        }
        return account
    }

    /// RFC 3502 §6.3.11: the next message of a MULTIAPPEND. The previous one is staged (fsynced in
    /// tmp/, its descriptor closed) and a new file is begun; any refusal fails the whole command.
    private func nextAppendMessage(_ header: IMAPAppendHeader) {
        let tag = header.tag
        guard let upload = append, upload.tag == tag else {
            parser.refuseAppendMessage()
            return bad(tag, "APPEND message without its command.")
        }
        let refusal: String?
        let flags = IMAPStoredFlags(header.flags)
        if withheldCapabilities.contains("MULTIAPPEND") {
            refusal = "MULTIAPPEND is not offered on this connection."
        } else if header.binary, withheldCapabilities.contains("BINARY") {
            refusal = "BINARY is not offered on this connection."
        } else if let refused = flags.refused {
            refusal = "\(refused) cannot be set by APPEND (RFC 3501 section 2.3.2)."
        } else {
            refusal = nil
        }
        if let refusal {
            parser.refuseAppendMessage()
            discardAppend()
            return bad(tag, refusal)
        }
        if let failure = upload.failure {
            parser.refuseAppendMessage()
            discardAppend()
            return fail(tag, failure, "APPEND failed")
        }
        let previous = upload.writer
        let mailbox = upload.mailbox
        let internalDate = header.internalDate.map(\.secondsSince1970)
        let (messageFlags, messageKeywords) = (flags.system, flags.keywords)
        // The quota takes the messages of the command together: all of them are stored or none (RFC 3502).
        let total = QuotaUsage(storage: upload.declaredBytes + Int64(header.messageSize), messages: Int64(upload.staged.count + 2))
        let quota = upload.account.quota
        blocking { () -> MailboxAppend in
            try quota?.check(adding: total)
            try previous.stage()
            return try mailbox.beginAppend(flags: messageFlags, keywords: messageKeywords, internalDate: internalDate)
        } then: { outcome in
            switch outcome {
            case .success(let writer):
                upload.staged.append(previous)
                upload.writer = writer
                upload.declaredBytes = total.storage
                if header.synchronizing { self.continuation("Ready for literal data") }
            case .failure(let error):
                self.parser.refuseAppendMessage()
                self.discardAppend()
                self.fail(tag, error, "APPEND failed")
            }
        }
    }

    /// The next piece of the message, written on the disk pool (input waits meanwhile, so a
    /// fast client cannot outrun the disk).
    func appendReceived(_ piece: ByteBuffer) {
        guard let upload = append, upload.failure == nil else { return }
        let writer = upload.writer
        let bytes = Array(piece.readableBytesView)
        blocking { try writer.write(bytes) } then: { outcome in
            if case .failure(let error) = outcome { upload.failure = error }
        }
    }

    /// The command is complete: make every message durable and visible at once, and answer with
    /// their UIDs (RFC 4315 §3: a uid-set for a MULTIAPPEND).
    func appendEnded(tag: String) {
        guard let upload = append else { return }
        append = nil
        if let failure = upload.failure {
            discard(upload)
            return fail(tag, failure, "APPEND failed")
        }
        let messages = upload.messages
        let mailbox = upload.mailbox
        let origin = self.origin
        blocking { () -> (uids: [UInt32], uidValidity: UInt32) in
            do {
                return (try mailbox.commitAppends(messages, origin: origin), mailbox.state.uidValidity)
            } catch {
                for message in messages { message.abort() }
                throw error
            }
        } then: { outcome in
            upload.account.close(mailbox)
            switch outcome {
            case .success(let result):
                self.complete(tag, code: "APPENDUID \(result.uidValidity) \(Self.uidSet(result.uids))", "APPEND completed.")
            case .failure(let error):
                self.fail(tag, error, "APPEND failed")
            }
        }
    }

    /// An APPEND in progress failed (a parse error, a refused later message): its messages are
    /// dropped from tmp/ and the mailbox released, on the disk pool without waiting for it.
    func discardAppend() {
        guard let upload = append else { return }
        append = nil
        discard(upload)
    }

    private func discard(_ upload: IMAPAppendUpload) {
        let (messages, account, mailbox) = (upload.messages, upload.account, upload.mailbox)
        let abort: @Sendable () -> Void = {
            for message in messages { message.abort() }
            account.close(mailbox)
        }
        guard let connection, connection.isActive else { return abort() }
        _ = connection.services.blockingWork.run(on: connection.eventLoop, abort)
    }

    /// RFC 4315 §4 `uid-set`: ascending runs written as `a:b`.
    static func uidSet(_ uids: [UInt32]) -> String {
        var runs: [String] = []
        var index = 0
        while index < uids.count {
            var end = index
            while end + 1 < uids.count, uids[end + 1] == uids[end] + 1 { end += 1 }
            runs.append(end == index ? "\(uids[index])" : "\(uids[index]):\(uids[end])")
            index = end + 1
        }
        return runs.joined(separator: ",")
    }
}

extension IMAPDateTime {
    /// Seconds since 1970 (RFC 3501 §9 `date-time`, with its zone).
    var secondsSince1970: Int64 {
        // Days from civil (proleptic Gregorian), after Howard Hinnant's public-domain algorithm.
        let year = Int64(date.month <= 2 ? date.year - 1 : date.year)
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let month = Int64(date.month)
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + Int64(date.day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(zoneMinutes) * 60
    }
}
