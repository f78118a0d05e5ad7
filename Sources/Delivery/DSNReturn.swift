/// The `RET` parameter of `MAIL FROM` (RFC 3461 §4.3): what a failure notification returns of the message.
public enum DSNReturn: String, Sendable, Codable, CaseIterable {
    /// The whole message.
    case full = "FULL"
    /// Only the header section.
    case headers = "HDRS"
}
