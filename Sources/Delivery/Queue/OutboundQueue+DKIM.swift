import Foundation
import Logging
import TLS

extension OutboundQueue {
    /// Signs the entry once, when the queue first takes it and before its first attempt; the signature
    /// fields go into its envelope and are sent before the message on every attempt. They are stored with
    /// the attempt's results, in the envelope rewrite a deferral makes anyway: an entry delivered at once
    /// costs no extra durable write (BENCHMARKS 13b), and one deferred keeps the signature, so every retry
    /// sends the same bytes. Only a crash during the first attempt loses it; the entry is then signed again.
    ///
    /// Why here and not at submission: every message that leaves for a remote host passes the queue —
    /// submitted mail and what Loft writes itself (bounces, delay notices, TLS reports, postmaster
    /// notices) — while local Maildir delivery never does, so exactly outgoing mail is signed; the
    /// submission path stays as fast as before (the body is hashed on the queue's thread pool); and a
    /// stored signature makes every retry send the same bytes. The file itself is never changed.
    ///
    /// Returns nil when the entry may be sent (signed, or its From domain has no key), else why it cannot
    /// be: a message whose signature cannot be made is deferred, never sent unsigned.
    func signIfNeeded(_ envelope: inout SpoolEnvelope, messagePath: String) async -> String? {
        guard envelope.dkimSignature == nil, !settings.dkimKeys.isEmpty else { return nil }
        let (identities, now) = (settings.dkimKeys, clock())
        let fields: [String]
        do {
            fields = try await threadPool.runIfActive { () throws -> [String] in
                // The top of the header says whether the From domain has a key; the whole file is read only then.
                let header = try OriginalMessage.read(path: messagePath, bodyLimit: 0, headerLimit: 64 * 1024)
                guard let domain = try DKIMMessage(header.header).fromDomain else { return [] }
                let signers = identities.filter { $0.domain == domain }
                guard !signers.isEmpty else { return [] }
                let message = try DKIMMessage(path: messagePath)
                // Dual signing: every key of the domain (rsa-sha256 and ed25519-sha256) signs.
                return try signers.map { identity in
                    let key = try DKIMSigningKey(path: identity.keyFile)
                    return try DKIMSigner.signatureField(
                        for: message, domain: identity.domain, selector: identity.selector, key: key, time: now)
                }
            }
        } catch {
            logger.error("cannot DKIM-sign, delivery deferred", metadata: ["id": "\(envelope.id)", "error": "\(error)"])
            return "cannot DKIM-sign the message: \(error)"
        }
        guard !fields.isEmpty else { return nil }
        envelope.dkimSignature = fields.joined()
        logger.info("DKIM-signed", metadata: ["id": "\(envelope.id)", "signatures": "\(fields.count)"])
        return nil
    }

    /// Records `reason` as the temporary failure (RFC 3463 4.7.5, cryptographic failure) of every pending
    /// recipient, so `loft queue show` tells why the entry waits.
    func deferPending(_ envelope: inout SpoolEnvelope, reason: String, at now: Date) {
        for (index, _) in envelope.pendingRecipients {
            envelope.recipients[index].lastFailure = RecipientFailure(at: now, status: "4.7.5", diagnostic: "X-Loft; \(reason)")
        }
    }
}
