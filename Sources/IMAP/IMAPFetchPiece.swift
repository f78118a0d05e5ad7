/// One piece of a FETCH response: bytes to send, or a range of the CRLF-normalised message that the
/// caller streams from disk (through `IMAPCRLFStream`).
public enum IMAPFetchPiece: Sendable, Equatable {
    case bytes([UInt8])
    case messageRange(offset: Int, count: Int)
}
