import Foundation
import LineProtocol
import NIOCore
import SMTP


struct StorageFailure: Error {}
struct SenderCheckFailure: Error {}

/// An in-memory backend: user alice@example.org with password "secret", local domain
/// example.org (bob exists), everything else remote. Records every message. The sender check of
/// busy@example.org is unavailable, that of broken@example.org throws.
final class MemoryBackend: SMTPBackend, @unchecked Sendable {
    final class Writer: SMTPMessageWriter, @unchecked Sendable {
        private let backend: MemoryBackend
        let envelope: SMTPEnvelope
        init(backend: MemoryBackend, envelope: SMTPEnvelope) {
            self.backend = backend
            self.envelope = envelope
        }
        private var bytes: [UInt8] = []
        func write(_ buffer: ByteBuffer) throws {
            if backend.failWrites { throw StorageFailure() }
            bytes += buffer.readableBytesView
        }
        func commit() throws { backend.record { $0.committed.append((envelope, bytes)) } }
        func abort() { backend.record { $0.aborted += 1 } }
    }

    struct Record {
        var committed: [(SMTPEnvelope, [UInt8])] = []
        var aborted = 0
        var begun = 0
    }

    private let lock = NSLock()
    private var state = Record()
    var failWrites = false

    func record<T>(_ body: (inout Record) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    var committed: [(SMTPEnvelope, String)] { record { $0.committed.map { ($0.0, String(decoding: $0.1, as: UTF8.self)) } } }
    var aborted: Int { record { $0.aborted } }

    func authenticate(username: String, password: String, clientIP: String) -> SMTPAuthResult {
        username == "alice@example.org" && password == "secret" ? .success(login: "alice@example.org") : .failure
    }
    func failureDelay(clientIP: String) -> Duration { .zero }
    func checkSender(_ address: String, login: String) throws -> SMTPSenderCheck {
        switch address.lowercased() {
        case login: return .allowed
        case "busy@example.org": return .unavailable("aliases cannot be read")
        case "broken@example.org": throw SenderCheckFailure()
        default: return .refused
        }
    }
    func checkRecipient(_ address: String) -> SMTPRecipientCheck {
        guard address.lowercased().hasSuffix("@example.org") else { return .remote }
        return address.lowercased().hasPrefix("bob@") || address.lowercased().hasPrefix("alice@") ? .local : .unknownLocal
    }
    func beginMessage(_ envelope: SMTPEnvelope) throws -> any SMTPMessageWriter {
        record { $0.begun += 1 }
        return Writer(backend: self, envelope: envelope)
    }
}

extension String {
    /// `AUTH PLAIN` initial response for alice.
    static let alicePlain = Data("\0alice@example.org\0secret".utf8).base64EncodedString()
}
