/// The `BODY` parameter of `MAIL FROM`: the content the message claims to be, which the queue runner must
/// be able to relay (or downgrade) faithfully.
public enum BodyType: String, Sendable, Codable, CaseIterable {
    /// Plain 7-bit text (RFC 5321), the default when `BODY` is absent.
    case sevenBit = "7BIT"
    /// 8-bit MIME content (RFC 6152 §2).
    case eightBitMIME = "8BITMIME"
    /// Binary MIME content sent with BDAT (RFC 3030 §3).
    case binaryMIME = "BINARYMIME"
}
