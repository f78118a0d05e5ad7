/// Reads the one HTTP/1.1 response (RFC 9112) of an MTA-STS policy fetch from the bytes as they arrive: the
/// status line (200 only: a redirect is never followed, RFC 8461 §3.3), the header fields, and a body
/// delimited by `Content-Length`, by chunked transfer coding, or by the end of the connection, never longer
/// than `maximumBodySize`. Pure: no I/O.
struct PolicyHTTPResponseReader: Sendable {
    enum Progress: Sendable, Equatable {
        case needMore
        /// The whole body.
        case complete([UInt8])
        /// The fetch fails; the connection should be closed.
        case failed(String)
    }

    private enum BodyLength: Equatable {
        case contentLength(Int)
        case chunked
        /// Until the server closes the connection (RFC 9112 §6.3, rule 8).
        case untilClose
    }

    private enum Head {
        case body(BodyLength)
        case invalid(String)
    }

    let maximumBodySize: Int
    /// The most bytes of status line and header fields.
    let maximumHeadSize: Int
    private var bytes: [UInt8] = []
    private var body: (start: Int, length: BodyLength)?
    private var result: Progress = .needMore

    init(maximumBodySize: Int, maximumHeadSize: Int = 16 * 1024) {
        self.maximumBodySize = maximumBodySize
        self.maximumHeadSize = maximumHeadSize
    }

    /// Takes more bytes of the response.
    mutating func append(_ more: some Sequence<UInt8>) -> Progress {
        guard result == .needMore else { return result }
        bytes.append(contentsOf: more)
        result = progress()
        return result
    }

    /// The server closed the connection; `cleanly` is false when TLS ended without close_notify, so a body
    /// delimited by the close may have been cut short by an attacker.
    mutating func connectionClosed(cleanly: Bool) -> Progress {
        guard result == .needMore else { return result }
        guard let body else {
            result = .failed("the server closed the connection before the end of the response header")
            return result
        }
        switch body.length {
        case .untilClose:
            result = cleanly
                ? .complete(Array(bytes[body.start...]))
                : .failed("the connection ended without TLS close_notify, so the policy may be truncated")
        case .contentLength, .chunked:
            result = .failed("the server closed the connection before the end of the policy")
        }
        return result
    }

    private mutating func progress() -> Progress {
        if body == nil {
            guard let headEnd = Self.endOfHead(in: bytes) else {
                return bytes.count > maximumHeadSize ? .failed("the response header is longer than \(maximumHeadSize) bytes") : .needMore
            }
            guard headEnd.headLength <= maximumHeadSize else {
                return .failed("the response header is longer than \(maximumHeadSize) bytes")
            }
            switch Self.parseHead(bytes[..<headEnd.headLength]) {
            case .invalid(let reason): return .failed(reason)
            case .body(let length): body = (headEnd.bodyStart, length)
            }
        }
        guard let body else { return .needMore }
        let received = bytes.count - body.start
        switch body.length {
        case .contentLength(let length):
            if length > maximumBodySize { return .failed(tooLarge) }
            return received >= length ? .complete(Array(bytes[body.start..<body.start + length])) : .needMore
        case .untilClose:
            return received > maximumBodySize ? .failed(tooLarge) : .needMore
        case .chunked:
            return decodeChunks(from: body.start)
        }
    }

    private var tooLarge: String {
        let size = maximumBodySize % 1024 == 0 ? "\(maximumBodySize / 1024) KiB" : "\(maximumBodySize) bytes"
        return "the policy is larger than \(size)"
    }

    /// RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF chunk-data CRLF ... last-chunk. Trailer fields after the
    /// last chunk are not waited for.
    private func decodeChunks(from start: Int) -> Progress {
        var position = start
        var decoded: [UInt8] = []
        while true {
            guard let lineEnd = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                return bytes.count - position > 1024 ? .failed("a chunk size line is too long") : .needMore
            }
            var line = bytes[position..<lineEnd]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let sizeText = line.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            guard !sizeText.isEmpty, sizeText.count <= 8,
                  let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16)
            else { return .failed("invalid chunk size in the chunked response") }
            if size == 0 { return .complete(decoded) }
            guard decoded.count + size <= maximumBodySize else { return .failed(tooLarge) }
            let dataStart = lineEnd + 1
            guard bytes.count >= dataStart + size + 1 else { return .needMore }
            decoded.append(contentsOf: bytes[dataStart..<dataStart + size])
            var next = dataStart + size
            if bytes[next] == UInt8(ascii: "\r") {
                guard bytes.count > next + 1 else { return .needMore }
                next += 1
            }
            guard bytes[next] == UInt8(ascii: "\n") else { return .failed("a chunk does not end with CRLF") }
            position = next + 1
        }
    }

    /// Where the empty line that ends the head is: the head's length (without that line) and where the body
    /// starts. Lines end with CRLF, or a bare LF (RFC 9112 §2.2 lets a recipient accept it).
    private static func endOfHead(in bytes: [UInt8]) -> (headLength: Int, bodyStart: Int)? {
        var lineStart = 0
        while let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - lineStart
            if length == 0 || (length == 1 && bytes[lineStart] == UInt8(ascii: "\r")) {
                return (lineStart, newline + 1)
            }
            lineStart = newline + 1
        }
        return nil
    }

    /// The status line and the fields that say how the body is delimited.
    private static func parseHead(_ head: ArraySlice<UInt8>) -> Head {
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }  // after the last field's line end
        guard let statusLine = lines.first else { return .invalid("empty response") }
        // status-line = HTTP-version SP status-code SP [ reason-phrase ]
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            return .invalid("not an HTTP/1.x response: \"\(statusLine.prefix(80))\"")
        }
        if (300...399).contains(status) {
            return .invalid("HTTP status \(status): redirects are not followed (RFC 8461 §3.3)")
        }
        guard status == 200 else { return .invalid("HTTP status \(status), not 200") }
        var contentLength: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return .invalid("invalid header field \"\(line.prefix(80))\"") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            switch name {
            case "content-length":
                guard !value.isEmpty, value.count <= 12, value.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(value),
                      contentLength == nil || contentLength == length
                else { return .invalid("invalid Content-Length \"\(value)\"") }
                contentLength = length
            case "transfer-encoding":
                // RFC 9112 §6.1: chunked must be the final coding; anything else here cannot be decoded.
                let codings = value.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
                guard codings == ["chunked"] else { return .invalid("unsupported Transfer-Encoding \"\(value)\"") }
                chunked = true
            default:
                continue
            }
        }
        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length.
        if chunked { return .body(.chunked) }
        if let contentLength { return .body(.contentLength(contentLength)) }
        return .body(.untilClose)
    }
}
