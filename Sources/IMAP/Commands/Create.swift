import MailStore

extension IMAPSession {
    /// RFC 3501 §6.3.3, with CREATE-SPECIAL-USE (RFC 6154 §3): `CREATE name (USE (\Sent))`.
    /// A trailing `.` is dropped (it only announces children to come).
    func create(_ tag: String, _ rawName: IMAPMailboxName, parameters: [IMAPParameter]) {
        guard let account = requireAuthenticated(tag) else { return }
        let utf8 = utf8Names
        let specialUse: SpecialUse?
        switch Self.specialUse(parameters) {
        case .success(let use): specialUse = use
        case .failure(.unsupportedParameter(let name)): return bad(tag, "CREATE parameter \(name) is not supported.")
        case .failure(.unknownUse(let use)):
            return complete(tag, .no, code: "USEATTR", "\(use) is not a special use Loft knows (RFC 6154).")
        }
        let origin = self.origin
        let reportsMailboxID = offersObjectIDs
        blocking { () -> String? in
            let name = try IMAPNames.mailbox(rawName, utf8: utf8)
            guard !name.isInbox else { throw MailboxError.alreadyExists("INBOX") }
            let created = try account.folders.create(name.name, specialUse: specialUse)
            // RFC 5465 §5.4: the mailbox and its direct parent are affected.
            Self.publishTreeChange(account, origin: origin) {
                .names(try account.folders.listing(of: [name] + name.ancestors.suffix(1)), oldName: nil)
            }
            // RFC 8474 §4.1: the new mailbox's MAILBOXID in the tagged OK. Opening it once gives it its
            // uidlist and so its GUID; should that fail, the mailbox exists all the same.
            guard reportsMailboxID else { return nil }
            return try? account.withMailbox(created) { $0.state.mailboxID }
        } then: { outcome in
            switch outcome {
            case .success(let mailboxID):
                self.complete(tag, code: mailboxID.map { "MAILBOXID (\($0))" }, "CREATE completed.")
            case .failure(let error): self.fail(tag, error, "CREATE failed")
            }
        }
    }

    enum CreateParameterError: Error {
        case unsupportedParameter(String)
        case unknownUse(String)
    }

    /// The one special use a `USE` parameter may carry (Loft keeps one per folder).
    static func specialUse(_ parameters: [IMAPParameter]) -> Result<SpecialUse?, CreateParameterError> {
        var use: SpecialUse?
        for parameter in parameters {
            guard parameter.name.uppercased() == "USE" else { return .failure(.unsupportedParameter(parameter.name)) }
            let values: [IMAPTaggedValue] = switch parameter.value {
            case .list(let values)?: values
            case let value?: [value]
            case nil: []
            }
            for value in values {
                guard case .string(let bytes) = value else { return .failure(.unknownUse("\(value)")) }
                let text = String(decoding: bytes, as: UTF8.self)
                guard let known = SpecialUse.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }), use == nil
                else { return .failure(.unknownUse(text)) }
                use = known
            }
        }
        return .success(use)
    }

    /// Runs a folder operation on the disk pool and answers OK or the reason it failed.
    func mailboxOperation(_ tag: String, _ command: String, _ work: @escaping @Sendable () throws -> Void) {
        blocking(work) { outcome in
            switch outcome {
            case .success: self.complete(tag, "\(command) completed.")
            case .failure(let error): self.fail(tag, error, "\(command) failed")
            }
        }
    }
}
