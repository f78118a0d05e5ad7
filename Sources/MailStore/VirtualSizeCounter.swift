/// Counts the virtual size of a message while it streams by: every LF not preceded by CR counts as two
/// bytes (the CRLF the wire form needs), everything else as one.
struct VirtualSizeCounter {
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

    /// The virtual size of a complete message.
    static func virtualSize(of bytes: some Collection<UInt8>) -> Int {
        var counter = VirtualSizeCounter()
        counter.add(bytes)
        return counter.virtualSize
    }
}
