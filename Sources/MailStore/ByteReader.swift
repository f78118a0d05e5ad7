/// Reads what `ByteWriter` wrote; any read past the end throws `ByteReader.Truncated`.
struct ByteReader {
    struct Truncated: Error {}

    private let bytes: [UInt8]
    private(set) var offset = 0

    /// Checks the trailing checksum and reads everything before it; nil when it does not match.
    init?(checked bytes: [UInt8]) {
        guard bytes.count >= 8 else { return nil }
        let body = bytes[..<(bytes.count - 8)]
        var trailer = ByteReader(unchecked: Array(bytes[(bytes.count - 8)...]))
        guard let stored = try? trailer.read(UInt64.self), stored == FileChecksum.of(body) else { return nil }
        self.bytes = Array(body)
    }

    private init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw Truncated() }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(littleEndian: value)
    }

    mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, offset + count <= bytes.count else { throw Truncated() }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func readShortString() throws -> String {
        let count = Int(try read(UInt16.self))
        return String(decoding: try readBytes(count), as: UTF8.self)
    }
}
