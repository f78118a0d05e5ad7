import MailStore
import NIOCore

/// An APPEND whose message is arriving: written to the target mailbox's tmp/ piece by piece,
/// never gathered in memory.
final class IMAPAppendUpload {
    let tag: String
    let account: IMAPAccount
    let mailbox: SharedMailbox
    let writer: MailboxAppend
    /// The first write error; the rest of the message is then read and dropped.
    var failure: (any Error)?

    init(tag: String, account: IMAPAccount, mailbox: SharedMailbox, writer: MailboxAppend) {
        self.tag = tag
        self.account = account
        self.mailbox = mailbox
        self.writer = writer
    }

    /// Drops the partial message (a write failed).
    func abort() {
        writer.abort()
        account.close(mailbox)
    }
}

extension IMAPSession {
    /// RFC 3501 §6.3.11 with UIDPLUS APPENDUID (RFC 4315 §3). The mailbox is checked before
    /// the client is told to send the message (`+`), so a refused APPEND costs no upload; a
    /// missing mailbox gets `NO [TRYCREATE]`, a message that does not fit the quota `NO [OVERQUOTA]`.
    func appendStarted(_ header: IMAPAppendHeader) {
        let tag = header.tag
        guard let account = requireAuthenticatedForAppend(tag) else { return }
        let flags = IMAPStoredFlags(header.flags)
        if let refused = flags.refused {
            parser.refuseAppendMessage()
            return bad(tag, "\(refused) cannot be set by APPEND (RFC 3501 section 2.3.2).")
        }
        let name: MailboxName
        do {
            name = try IMAPNames.mailbox(header.mailbox)
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
                self.append = IMAPAppendUpload(tag: tag, account: account, mailbox: mailbox, writer: writer)
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

    /// The message is complete: make it durable and answer with its UID.
    func appendEnded(tag: String) {
        guard let upload = append else { return }
        append = nil
        if let failure = upload.failure {
            upload.abort()
            return fail(tag, failure, "APPEND failed")
        }
        let writer = upload.writer
        let mailbox = upload.mailbox
        let origin = self.origin
        blocking { () -> (uid: UInt32, uidValidity: UInt32) in
            (try writer.commit(origin: origin), mailbox.state.uidValidity)
        } then: { outcome in
            upload.account.close(mailbox)
            switch outcome {
            case .success(let result):
                self.complete(tag, code: "APPENDUID \(result.uidValidity) \(result.uid)", "APPEND completed.")
            case .failure(let error):
                self.fail(tag, error, "APPEND failed")
            }
        }
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
