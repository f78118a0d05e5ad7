/// A value of the `NOTIFY` parameter of `RCPT TO` (RFC 3461 §4.1): when to send a delivery status
/// notification. `never` is only valid alone.
public enum DSNNotify: String, Sendable, Codable, CaseIterable {
    case never = "NEVER"
    case success = "SUCCESS"
    case failure = "FAILURE"
    case delay = "DELAY"
}
