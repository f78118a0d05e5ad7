/// Counts the size of a message while it streams by, and its virtual size: every LF not preceded by CR
/// counts as two bytes (the CRLF the wire form needs), everything else as one. These are the `S=` and `W=`
/// fields of a Maildir file name (Dovecot's convention), and the sizes POP3 reports.
public struct MessageSizeCounter: Sendable {
    /// The bytes seen so far.
    public private(set) var size = 0
    /// The size the bytes seen so far have with every bare LF counted as CRLF.
    public private(set) var virtualSize = 0
    private var previousWasCR = false

    /// A counter that has seen nothing yet.
    public init() {}

    /// Counts `bytes`, the next piece of the message; a CR at the end of one piece pairs with an LF at the
    /// start of the next.
    public mutating func add(_ bytes: some Collection<UInt8>) {
        for byte in bytes {
            size += 1
            virtualSize += (byte == UInt8(ascii: "\n") && !previousWasCR) ? 2 : 1
            previousWasCR = byte == UInt8(ascii: "\r")
        }
    }

    /// The virtual size of a complete message.
    public static func virtualSize(of bytes: some Collection<UInt8>) -> Int {
        var counter = MessageSizeCounter()
        counter.add(bytes)
        return counter.virtualSize
    }
}
