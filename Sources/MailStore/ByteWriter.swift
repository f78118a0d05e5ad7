/// Builds a little-endian binary file in memory (the index and cache files).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(bytes more: some Collection<UInt8>) {
        bytes.append(contentsOf: more)
    }

    /// A string as a 16-bit length and its UTF-8 bytes (truncated at 65,535 bytes, longer than any file name).
    mutating func appendShortString(_ string: String) {
        let utf8 = Array(string.utf8.prefix(Int(UInt16.max)))
        append(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Ends the file with the checksum of everything before it.
    mutating func appendChecksum() {
        append(FileChecksum.of(bytes[...]))
    }
}
