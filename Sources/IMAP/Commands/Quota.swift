import MailStore

/// RFC 9208 QUOTA: one quota root per user, named `""`, that covers every folder. Users read their
/// quota; only the admin sets it (config `[quota]` and passwd-file fields), so SETQUOTA is refused and
/// QUOTASET is not advertised. A user without limits has no quota root: GETQUOTAROOT lists none, since
/// a QUOTA response needs at least one resource (RFC 9208 §9 `quota-list`).
extension IMAPSession {
    static let quotaRootName = ""

    func quota(_ tag: String, _ command: IMAPQuotaCommand) {
        guard let account = requireAuthenticated(tag), quotaOffered(tag) else { return }
        switch command {
        case .getQuota(let root): getQuota(tag, root: root, account)
        case .getQuotaRoot(let name): getQuotaRoot(tag, name, account)
        case .setQuota: complete(tag, .no, code: "NOPERM", "Quotas are set by the administrator.")
        }
    }

    /// False, with BAD sent, where QUOTA is withheld.
    func quotaOffered(_ tag: String) -> Bool {
        guard withheldCapabilities.contains("QUOTA") else { return true }
        bad(tag, "QUOTA is not offered on this connection.")
        return false
    }

    /// STATUS DELETED-STORAGE belongs to QUOTA=RES-STORAGE (RFC 9208 §4.2): false, with BAD sent, where
    /// that is withheld.
    func deletedStorageOffered(_ tag: String) -> Bool {
        guard quotaOffered(tag) else { return false }
        guard withheldCapabilities.contains("QUOTA=RES-STORAGE") else { return true }
        bad(tag, "QUOTA=RES-STORAGE is not offered on this connection.")
        return false
    }

    /// What this session reports of `quota`: a resource whose QUOTA=RES- capability is withheld is left
    /// out (it is still enforced); nil when nothing is left to report.
    private func reported(_ quota: MaildirQuota?) -> (quota: MaildirQuota, limits: QuotaLimits)? {
        guard let quota else { return nil }
        var limits = quota.limits
        if withheldCapabilities.contains("QUOTA=RES-STORAGE") { limits.storage = nil }
        if withheldCapabilities.contains("QUOTA=RES-MESSAGE") { limits.messages = nil }
        return limits.isUnlimited ? nil : (quota, limits)
    }

    /// §4.1.1: the resources of a quota root; NO for a root this user does not have.
    private func getQuota(_ tag: String, root: [UInt8], _ account: IMAPAccount) {
        guard let (quota, limits) = reported(account.quota), root.isEmpty else {
            return complete(tag, .no, code: "NONEXISTENT", "No such quota root.")
        }
        blocking { try quota.usage() } then: { outcome in
            switch outcome {
            case .success(let usage):
                self.untagged(Self.quotaResponse(usage, limits))
                self.complete(tag, "GETQUOTA completed.")
            case .failure(let error):
                self.fail(tag, error, "GETQUOTA failed")
            }
        }
    }

    /// §4.1.2: the roots of a mailbox (which must exist), each followed by its QUOTA response.
    private func getQuotaRoot(_ tag: String, _ rawName: IMAPMailboxName, _ account: IMAPAccount) {
        let name: MailboxName
        do {
            name = try self.mailboxName(rawName)
        } catch {
            return fail(tag, error, "GETQUOTAROOT failed")
        }
        let reported = self.reported(account.quota)
        blocking { () -> QuotaUsage? in
            try account.withMailbox(name) { _ in }  // NO [NONEXISTENT] for a missing mailbox
            return try reported?.quota.usage()
        } then: { outcome in
            switch outcome {
            case .success(let usage):
                guard let limits = reported?.limits, let usage else {
                    self.untagged("QUOTAROOT \(self.wireName(name))")
                    return self.complete(tag, "GETQUOTAROOT completed; no quota applies.")
                }
                self.untagged("QUOTAROOT \(self.wireName(name)) \"\(Self.quotaRootName)\"")
                self.untagged(Self.quotaResponse(usage, limits))
                self.complete(tag, "GETQUOTAROOT completed.")
            case .failure(let error):
                self.fail(tag, error, "GETQUOTAROOT failed")
            }
        }
    }

    /// `QUOTA "" (STORAGE used limit MESSAGE used limit)` with the resources that have a limit. STORAGE
    /// counts units of 1024 octets (RFC 9208 §5.1): usage rounded up, the limit rounded down, so a full
    /// quota never looks like it has room left.
    static func quotaResponse(_ usage: QuotaUsage, _ limits: QuotaLimits) -> String {
        var resources: [String] = []
        if let storage = limits.storage {
            resources.append("STORAGE \((usage.storage + 1023) / 1024) \(storage / 1024)")
        }
        if let messages = limits.messages { resources.append("MESSAGE \(usage.messages) \(messages)") }
        return "QUOTA \"\(quotaRootName)\" (\(resources.joined(separator: " ")))"
    }

    /// The text of a `NO [OVERQUOTA]` (RFC 9208 §4.3).
    static func overQuotaText(_ error: QuotaExceeded) -> String {
        var parts: [String] = []
        if let storage = error.limits.storage {
            parts.append("\((error.usage.storage + 1023) / 1024) of \(storage / 1024) KiB used")
        }
        if let messages = error.limits.messages { parts.append("\(error.usage.messages) of \(messages) messages") }
        return "over quota (\(parts.joined(separator: ", ")))."
    }

    /// What copying `uids` from `state` adds to a quota.
    static func quotaUsage(of uids: [UInt32], in state: MailboxState) -> QuotaUsage {
        var usage = QuotaUsage.zero
        for uid in uids {
            guard let position = state.index(ofUID: uid) else { continue }
            usage.storage += Int64(state.messages[position].size)
            usage.messages += 1
        }
        return usage
    }
}
