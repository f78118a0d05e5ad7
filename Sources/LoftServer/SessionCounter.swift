import LineProtocol
import Synchronization

/// Logged-in sessions per user and client address over every protocol, against
/// `limits.max_sessions_per_user_ip` (Dovecot's `mail_max_userip_connections`).
final class SessionCounter: LoginAdmission {
    private let maxPerUserAddress: Int
    private let counts = Mutex<[String: Int]>([:])

    init(maxPerUserAddress: Int) {
        self.maxPerUserAddress = maxPerUserAddress
    }

    func admit(user: String, clientIP: String) -> LoginLease? {
        let key = user + " " + clientIP
        let admitted = counts.withLock { counts in
            guard counts[key, default: 0] < maxPerUserAddress else { return false }
            counts[key, default: 0] += 1
            return true
        }
        guard admitted else { return nil }
        return LoginLease { [self] in
            counts.withLock { counts in
                counts[key, default: 1] -= 1
                if counts[key] == 0 { counts.removeValue(forKey: key) }
            }
        }
    }
}
