/// Collects the pieces of one FETCH response: bytes are gathered into as few `.bytes` pieces as possible.
struct IMAPFetchResponseBuilder {
    private(set) var pieces: [IMAPFetchPiece] = []
    var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(64)
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ data: some Sequence<UInt8>) {
        bytes.append(contentsOf: data)
    }

    mutating func appendDecimal(_ value: some BinaryInteger) {
        IMAPByte.appendDecimal(value, to: &bytes)
    }

    /// A part of the normalised message the caller streams from disk.
    mutating func stream(offset: Int, count: Int) {
        if !bytes.isEmpty {
            pieces.append(.bytes(bytes))
            bytes = []
        }
        pieces.append(.messageRange(offset: offset, count: count))
    }

    /// RFC 3501 §4.3 literal `{n}CRLF` + data, or `""` when empty. NUL cannot appear in an IMAP4rev1
    /// literal (that needs BINARY's literal8); message bytes are sent as stored, NUL included.
    mutating func literal(_ data: some Collection<UInt8>) {
        guard !data.isEmpty else { return append("\"\"") }
        literalHeader(data.count)
        bytes.append(contentsOf: data)
    }

    /// RFC 3516 §4.3: decoded data with a NUL octet goes as a literal8 `~{n}CRLF` + data; without
    /// one as a plain literal, so the client knows it holds no NUL without scanning it.
    mutating func binaryLiteral(_ data: some Collection<UInt8>) {
        guard data.contains(0) else { return literal(data) }
        append("~")
        literalHeader(data.count)
        bytes.append(contentsOf: data)
    }

    mutating func literalHeader(_ count: Int) {
        append("{")
        appendDecimal(count)
        append("}\r\n")
    }

    mutating func finish() -> [IMAPFetchPiece] {
        if !bytes.isEmpty {
            pieces.append(.bytes(bytes))
            bytes = []
        }
        return pieces
    }
}
