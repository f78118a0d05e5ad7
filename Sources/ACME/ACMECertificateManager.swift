public import Foundation
public import Logging
public import NIOPosix
import Synchronization
public import TLS

/// The notAfter of the ACME certificate in use (nil while there is only the temporary one), for the
/// metrics endpoint. Thread-safe.
public final class ACMECertificateStatus: Sendable {
    private let notAfter = Mutex<Date?>(nil)

    public init() {}

    public var currentNotAfter: Date? {
        notAfter.withLock { $0 }
    }

    func record(_ leaf: TLSCertificateSummary?) {
        notAfter.withLock { $0 = leaf.flatMap { $0.subject == $0.issuer ? nil : $0.notAfter } }
    }
}

/// Keeps the ACME certificate current: obtains it when there is none (or only the temporary self-signed
/// one), renews it two thirds into its lifetime, retries failures with exponential backoff, logs loudly
/// every day from 14 days before expiry, and calls `installed` after each new certificate is on disk so
/// every listener reloads it. File I/O and key generation run on `threadPool`; `run` only awaits.
public struct ACMECertificateManager: Sendable {
    let request: ACMEOrderRequest
    let store: ACMECertificateStore
    let issuer: ACMEIssuer
    let responder: any ACMEChallengeResponder
    let threadPool: NIOThreadPool
    let logger: Logger
    let status: ACMECertificateStatus
    let installed: @Sendable (TLSCertificateSummary) async -> Void

    public init(request: ACMEOrderRequest, store: ACMECertificateStore, issuer: ACMEIssuer,
                responder: any ACMEChallengeResponder, threadPool: NIOThreadPool, logger: Logger,
                status: ACMECertificateStatus, installed: @escaping @Sendable (TLSCertificateSummary) async -> Void) {
        self.request = request
        self.store = store
        self.issuer = issuer
        self.responder = responder
        self.threadPool = threadPool
        self.logger = logger
        self.status = status
        self.installed = installed
    }

    /// Runs until the task is cancelled.
    public func run() async {
        var failures = 0
        var lastWarning: Date?
        while !Task.isCancelled {
            let store = self.store
            let leaf = try? await threadPool.runIfActive { store.currentLeaf() }
            status.record(leaf)
            let now = Date()
            if let leaf, leaf.subject != leaf.issuer, ACMERenewalSchedule.isNearExpiry(leaf, now: now),
               lastWarning.map({ now.timeIntervalSince($0) >= 86400 }) ?? true {
                lastWarning = now
                let days = Int(leaf.notAfter.timeIntervalSince(now) / 86400)
                logger.error("ACME CERTIFICATE EXPIRES SOON and renewal has not succeeded yet", metadata: [
                    "not_after": "\(leaf.notAfter.formatted(.iso8601))", "days_left": "\(days)",
                    "file": "\(store.certificatePath)"])
            }
            guard let reason = ACMERenewalSchedule.reasonToIssue(leaf: leaf, names: request.names, now: now) else {
                failures = 0
                var wait = ACMERenewalSchedule.renewalDate(leaf!).timeIntervalSince(now)
                if ACMERenewalSchedule.isNearExpiry(leaf!, now: now) { wait = min(wait, 86400) }
                logger.info("ACME certificate is current", metadata: [
                    "not_after": "\(leaf!.notAfter.formatted(.iso8601))",
                    "renewal": "\(ACMERenewalSchedule.renewalDate(leaf!).formatted(.iso8601))"])
                await sleep(seconds: max(wait, 1))
                continue
            }
            logger.info("requesting an ACME certificate", metadata: [
                "reason": "\(reason)", "names": "\(request.names.joined(separator: " "))", "directory": "\(request.directoryURL)"])
            do {
                let fresh = try await obtain()
                failures = 0
                logger.notice("installed a new ACME certificate", metadata: [
                    "not_after": "\(fresh.notAfter.formatted(.iso8601))", "issuer": "\(fresh.issuer)",
                    "file": "\(store.certificatePath)"])
                await installed(fresh)
            } catch {
                failures += 1
                let wait = ACMERenewalSchedule.backoff(failures: failures)
                logger.error("ACME certificate request failed; the current certificate stays in use", metadata: [
                    "error": "\(error)", "attempt": "\(failures)", "retry_in": "\(wait)"])
                await sleep(seconds: Double(wait.components.seconds))
            }
        }
    }

    /// One issuance: the account key, the order, and the new certificate stored.
    private func obtain() async throws -> TLSCertificateSummary {
        let store = self.store, keyType = request.keyType
        let accountKey = try await threadPool.runIfActive {
            try store.prepare()
            return try store.accountKey(type: keyType)
        }
        let issued = try await issuer.issue(request, accountKey: accountKey, responder: responder)
        return try await threadPool.runIfActive {
            try store.install(issued)
            guard let leaf = store.currentLeaf() else {
                throw ACMEError.invalidResponse("the stored certificate cannot be read back")
            }
            return leaf
        }
    }

    private func sleep(seconds: Double) async {
        try? await Task.sleep(for: .milliseconds(Int64(min(seconds, 30 * 86400) * 1000)))
    }
}
