/// Builds the MIME tree of a message (RFC 2045, RFC 2046) from its bytes, CRLF or LF line endings.
///
/// Boundaries are found the way RFC 2046 §5.1.1 describes: a line starting with `--boundary`; the
/// line break before it belongs to the delimiter; `--boundary--` closes. Enclosing boundaries are
/// checked too (innermost first), so a missing close delimiter ends the inner multipart at the
/// outer one. Past `MIMELimits` a multipart or message/rfc822 part stays a leaf. Never traps.
public struct MIMEParser: Sendable {
    public var limits: MIMELimits

    public init(limits: MIMELimits = .default) {
        self.limits = limits
    }

    /// Parses a whole message (RFC 5322 §2.1: header, empty line, body).
    public static func parse(_ bytes: [UInt8], limits: MIMELimits = .default) -> MIMEPart {
        MIMEParser(limits: limits).parse(bytes)
    }

    public func parse(_ bytes: [UInt8]) -> MIMEPart {
        var run = Run(bytes: bytes, limits: limits)
        return run.entity(start: 0, end: bytes.count, boundaries: [], depth: 0, digestChild: false).part
    }

    /// A delimiter line found in the body: which boundary of the stack, and where.
    struct Delimiter {
        var index: Int
        var isClose: Bool
        var lineStart: Int
        var nextLine: Int
    }

    struct Run {
        let bytes: [UInt8]
        let limits: MIMELimits
        var partCount = 0

        /// RFC 2046 §5.1.1 `delimiter := CRLF dash-boundary`, `close-delimiter := delimiter "--"`;
        /// the line at `p` is compared with each boundary in the stack, innermost first.
        func delimiter(at p: Int, end: Int, boundaries: [[UInt8]]) -> Delimiter? {
            guard p + 2 <= end, bytes[p] == UInt8(ascii: "-"), bytes[p + 1] == UInt8(ascii: "-") else { return nil }
            var k = boundaries.count - 1
            while k >= 0 {
                let b = boundaries[k]
                let after = p + 2 + b.count
                if after <= end, bytes[(p + 2)..<after].elementsEqual(b) {
                    let isClose = after + 2 <= end && bytes[after] == UInt8(ascii: "-") && bytes[after + 1] == UInt8(ascii: "-")
                    return Delimiter(index: k, isClose: isClose, lineStart: p,
                                     nextLine: MessageHeader.lineEnd(bytes, from: p, end: end))
                }
                k -= 1
            }
            return nil
        }

        func scan(from: Int, end: Int, boundaries: [[UInt8]]) -> Delimiter? {
            guard !boundaries.isEmpty else { return nil }
            var p = from
            while p < end {
                if let d = delimiter(at: p, end: end, boundaries: boundaries) { return d }
                p = MessageHeader.lineEnd(bytes, from: p, end: end)
            }
            return nil
        }

        /// Where content before the delimiter ends: the line break before it is the delimiter's.
        func contentEnd(before d: Delimiter?, start: Int, end: Int) -> Int {
            guard let d else { return end }
            var e = d.lineStart
            if e > start, bytes[e - 1] == ByteClass.lf {
                e -= 1
                if e > start, bytes[e - 1] == ByteClass.cr { e -= 1 }
            }
            return max(start, e)
        }

        /// RFC 2045 §3 `entity-headers` + body, ending at `end` or at a delimiter of `boundaries`.
        /// Returns the part, the delimiter that ended it (nil: the end of the data) and where its
        /// content ends. The line break before a delimiter belongs to the delimiter only when it lies in
        /// body text scanned here; one already consumed by a header line or a close delimiter stays.
        mutating func entity(start: Int, end: Int, boundaries enclosing: [[UInt8]], depth: Int, digestChild: Bool)
            -> (part: MIMEPart, delimiter: Delimiter?, end: Int)
        {
            partCount += 1
            // The part that reaches maxPartCount is the last one: it runs to the end of the data
            // and no delimiter is looked for any more (as Dovecot does).
            let boundaries = partCount >= limits.maxPartCount ? [] : enclosing
            let bytes = self.bytes
            let (header, bodyStart, headerEnd) = MessageHeader.parse(bytes, in: start..<end) { p in
                self.delimiter(at: p, end: end, boundaries: boundaries) != nil
            }
            var part = Self.describe(header: header, digestChild: digestChild)
            part.headerRange = start..<headerEnd
            (part.headerSize, part.headerLines) = CRLFMeasure.measure(bytes, start..<headerEnd)

            let boundary = part.isType("multipart") ? part.parameter("boundary") : nil
            // Children sit one level deeper; the deepest allowed level is maxNestingDepth - 1.
            let withinLimits = depth + 1 < limits.maxNestingDepth && partCount < limits.maxPartCount
            var found: Delimiter?
            var bodyEnd: Int
            if let boundary, !boundary.isEmpty, withinLimits {
                // RFC 2046 §5.1.1 `multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
                // body-part *encapsulation close-delimiter transport-padding [CRLF epilogue]`.
                part.kind = .multipart
                let own = boundaries + [boundary]
                found = scan(from: bodyStart, end: end, boundaries: own)
                bodyEnd = contentEnd(before: found, start: bodyStart, end: end)
                while let d = found, d.index == own.count - 1, !d.isClose {
                    let child = entity(start: d.nextLine, end: end, boundaries: own, depth: depth + 1,
                                       digestChild: part.isType("multipart", "digest"))
                    part.children.append(child.part)
                    found = child.delimiter
                    bodyEnd = child.end
                }
                if let d = found, d.index == own.count - 1 {
                    // After the close delimiter: the epilogue, up to an enclosing delimiter.
                    found = scan(from: d.nextLine, end: end, boundaries: boundaries)
                    bodyEnd = contentEnd(before: found, start: d.nextLine, end: end)
                }
            } else if part.isType("message", "rfc822"), withinLimits {
                // RFC 2046 §5.2.1: the body is a complete message.
                part.kind = .message
                let inner = entity(start: bodyStart, end: end, boundaries: boundaries, depth: depth + 1, digestChild: false)
                part.children = [inner.part]
                found = inner.delimiter
                bodyEnd = inner.end
            } else {
                found = scan(from: bodyStart, end: end, boundaries: boundaries)
                bodyEnd = contentEnd(before: found, start: bodyStart, end: end)
            }
            bodyEnd = max(bodyStart, bodyEnd)
            part.bodyRange = bodyStart..<bodyEnd
            (part.bodySize, part.bodyLines) = CRLFMeasure.measure(bytes, bodyStart..<bodyEnd)
            return (part, found, max(headerEnd, bodyEnd))
        }

        /// Reads the MIME fields of a header. RFC 2045 §5.2: no (valid) Content-Type means
        /// text/plain; charset=us-ascii, or message/rfc822 inside multipart/digest (RFC 2046 §5.1.5).
        /// The first occurrence of each field counts.
        static func describe(header: MessageHeader, digestChild: Bool) -> MIMEPart {
            var type = Array("text".utf8)
            var subtype = Array("plain".utf8)
            var params: [MIMEParameter] = []
            var hasContentType = false
            if digestChild {
                type = Array("message".utf8)
                subtype = Array("rfc822".utf8)
            }
            if let value = header["Content-Type"], let ct = ContentFieldParser.contentType(value) {
                (type, subtype, params) = ct
                hasContentType = true
            }
            var part = MIMEPart(
                kind: .leaf, header: header, headerRange: 0..<0, bodyRange: 0..<0,
                headerSize: 0, headerLines: 0, bodySize: 0, bodyLines: 0,
                type: type, subtype: subtype, parameters: params, hasContentType: hasContentType)
            part.id = header["Content-ID"]
            part.description = header["Content-Description"]
            part.encoding = header["Content-Transfer-Encoding"].flatMap(ContentFieldParser.transferEncoding)
            part.md5 = header["Content-MD5"]
            if let value = header["Content-Disposition"], let d = ContentFieldParser.disposition(value) {
                part.dispositionType = d.type
                part.dispositionParameters = d.parameters
            }
            if let value = header["Content-Language"] {
                let langs = ContentFieldParser.languages(value)
                part.languages = langs.isEmpty ? nil : langs
            }
            part.location = header["Content-Location"]
            return part
        }
    }
}
