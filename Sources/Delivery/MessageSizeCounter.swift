/// Counts the size of a message while it streams by, and its virtual size: every LF not preceded by CR
/// counts as two bytes (the CRLF the wire form needs), everything else as one (Dovecot's `W=`).
struct MessageSizeCounter {
    private(set) var size = 0
    private(set) var virtualSize = 0
    private var previousWasCR = false

    mutating func add(_ bytes: some Collection<UInt8>) {
        for byte in bytes {
            size += 1
            virtualSize += (byte == UInt8(ascii: "\n") && !previousWasCR) ? 2 : 1
            previousWasCR = byte == UInt8(ascii: "\r")
        }
    }
}
