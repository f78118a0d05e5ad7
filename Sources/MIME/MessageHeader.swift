/// A parsed RFC 5322 §2.2 header section: the fields in order, with lookup by name.
public struct MessageHeader: Sendable, Hashable {
    public var fields: [HeaderField]

    public init(fields: [HeaderField] = []) {
        self.fields = fields
    }

    /// The first field named `name` (case-insensitive), unfolded. Walks the indices rather than
    /// copying each field (three arrays) into a closure: the MIME parser asks for eight names per part.
    public func first(_ name: String) -> [UInt8]? {
        for index in fields.indices where ByteClass.equalsIgnoringCase(fields[index].name, name) {
            return fields[index].value
        }
        return nil
    }

    /// The last field named `name` (case-insensitive), unfolded.
    public func last(_ name: String) -> [UInt8]? {
        for index in fields.indices.reversed() where ByteClass.equalsIgnoringCase(fields[index].name, name) {
            return fields[index].value
        }
        return nil
    }

    /// Every field named `name` (case-insensitive), in message order.
    public func all(_ name: String) -> [HeaderField] {
        fields.filter { $0.hasName(name) }
    }

    public subscript(_ name: String) -> [UInt8]? { first(name) }

    /// Parses a header section. RFC 5322 §2.2 / §2.2.3 and RFC 5322 §4.5.3 (obs-fields: whitespace
    /// before the colon is allowed). The section ends at the first empty line, at the end of `range`, or
    /// at a line that `stop` accepts (a MIME boundary of an enclosing multipart).
    /// Returns the header and the index where the body begins (after the empty line, if any).
    ///
    /// A line without a colon is kept as a field with that line as name and an empty value, so nothing
    /// is lost; lines are split at LF, a CR before it is part of the line ending.
    public static func parse(
        _ bytes: [UInt8], in range: Range<Int>, stop: (Int) -> Bool = { _ in false }
    ) -> (header: MessageHeader, bodyStart: Int, headerEnd: Int) {
        var fields: [HeaderField] = []
        var pos = range.lowerBound
        let end = range.upperBound
        while pos < end {
            // Empty line: the header ends.
            if bytes[pos] == ByteClass.lf {
                return (MessageHeader(fields: fields), pos + 1, pos + 1)
            }
            if bytes[pos] == ByteClass.cr, pos + 1 < end, bytes[pos + 1] == ByteClass.lf {
                return (MessageHeader(fields: fields), pos + 2, pos + 2)
            }
            if stop(pos) {
                return (MessageHeader(fields: fields), pos, pos)
            }
            // One field: its first line plus continuation lines that begin with WSP.
            let fieldStart = pos
            var lineEnd = Self.lineEnd(bytes, from: pos, end: end)
            var fieldEnd = lineEnd
            while fieldEnd < end, bytes[fieldEnd] == ByteClass.space || bytes[fieldEnd] == ByteClass.tab {
                lineEnd = Self.lineEnd(bytes, from: fieldEnd, end: end)
                fieldEnd = lineEnd
            }
            let raw = Array(bytes[fieldStart..<fieldEnd])
            fields.append(Self.field(raw))
            pos = fieldEnd
        }
        return (MessageHeader(fields: fields), end, end)
    }

    /// Index just past the LF ending the line that contains `from`, or `end`.
    static func lineEnd(_ bytes: [UInt8], from: Int, end: Int) -> Int {
        var i = from
        while i < end {
            if bytes[i] == ByteClass.lf { return i + 1 }
            i += 1
        }
        return end
    }

    /// RFC 5322 §2.2 `field-name ":" unstructured CRLF` with §2.2.3 unfolding.
    static func field(_ raw: [UInt8]) -> HeaderField {
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else {
            let line = Self.unfold(raw[...])
            return HeaderField(name: Self.trimmed(line[...]), raw: raw, value: [])
        }
        let name = Self.trimmed(raw[..<colon])
        // Whitespace after the colon on the first line is not part of the value; a fold's WSP is.
        var start = colon + 1
        while start < raw.count, raw[start] == ByteClass.space || raw[start] == ByteClass.tab { start += 1 }
        return HeaderField(name: name, raw: raw, value: Self.unfold(raw[start...]))
    }

    /// RFC 5322 §2.2.3: removes every CRLF (or bare LF) that ends a line; the following WSP stays.
    static func unfold(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            let b = raw[i]
            if b == ByteClass.lf {
                i += 1
                continue
            }
            if b == ByteClass.cr, i + 1 < raw.endIndex, raw[i + 1] == ByteClass.lf {
                i += 2
                continue
            }
            out.append(b)
            i += 1
        }
        return out
    }

    static func trimmed(_ s: ArraySlice<UInt8>) -> [UInt8] {
        var lo = s.startIndex
        var hi = s.endIndex
        while lo < hi, ByteClass.isWhitespace(s[lo]) { lo += 1 }
        while hi > lo, ByteClass.isWhitespace(s[hi - 1]) { hi -= 1 }
        return Array(s[lo..<hi])
    }
}
