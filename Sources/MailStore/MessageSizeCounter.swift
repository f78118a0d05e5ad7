import Glibc

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
        // Over contiguous memory with memchr: a byte-by-byte loop through a generic collection cost
        // 14% of the server's CPU under the submission benchmark.
        if bytes.withContiguousStorageIfAvailable({ add(contiguous: $0) }) == nil {
            Array(bytes).withUnsafeBufferPointer { add(contiguous: $0) }
        }
    }

    private mutating func add(contiguous bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        size += bytes.count
        virtualSize += bytes.count
        var position = 0
        while position < bytes.count, let found = memchr(base + position, 0x0A, bytes.count - position) {
            let index = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
            let afterCR = index == 0 ? previousWasCR : bytes[index - 1] == UInt8(ascii: "\r")
            if !afterCR { virtualSize += 1 }  // a bare LF counts as CRLF
            position = index + 1
        }
        previousWasCR = bytes[bytes.count - 1] == UInt8(ascii: "\r")
    }

    /// The virtual size of a complete message.
    public static func virtualSize(of bytes: some Collection<UInt8>) -> Int {
        var counter = MessageSizeCounter()
        counter.add(bytes)
        return counter.virtualSize
    }
}
