import MIME

/// A message's ENVELOPE, BODY and BODYSTRUCTURE as wire bytes: what the per-message cache keeps
/// (`SharedMailbox.cachedBlob`), so `FETCH 1:* (ENVELOPE BODYSTRUCTURE)` on a mailbox seen
/// before reads no message file. Stamped by `IMAPServerInfo.cacheStamp`: a renderer or parser
/// change must bump it.
public struct IMAPMessageStructure: Sendable, Equatable {
    public var envelope: [UInt8]
    public var body: [UInt8]
    public var bodyStructure: [UInt8]

    public init(envelope: [UInt8], body: [UInt8], bodyStructure: [UInt8]) {
        self.envelope = envelope
        self.body = body
        self.bodyStructure = bodyStructure
    }

    public init(_ content: IMAPMessageContent) {
        var envelope = IMAPWireWriter()
        IMAPEnvelope(header: content.root.header).write(into: &envelope)
        var body = IMAPWireWriter()
        IMAPBodyStructure.write(content.root, extended: false, into: &body)
        var bodyStructure = IMAPWireWriter()
        IMAPBodyStructure.write(content.root, extended: true, into: &bodyStructure)
        self.init(envelope: envelope.bytes, body: body.bytes, bodyStructure: bodyStructure.bytes)
    }

    /// Whether these items (and metadata) are all a FETCH asks for, so the cache can answer it.
    public static func canAnswer(_ attributes: [IMAPFetchAttribute]) -> Bool {
        attributes.allSatisfy { attribute in
            switch attribute {
            case .flags, .uid, .internalDate, .rfc822Size, .envelope, .bodyStructure: true
            default: false
            }
        }
    }

    /// Three length-prefixed fields (UInt32 little-endian lengths).
    public var blob: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + envelope.count + body.count + bodyStructure.count)
        for field in [envelope, body, bodyStructure] {
            let count = UInt32(field.count)
            bytes += [UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 24)]
            bytes += field
        }
        return bytes
    }

    /// Reads `blob`; nil when it is not one (a damaged cache entry is simply rebuilt).
    public init?(blob: [UInt8]) {
        var fields: [[UInt8]] = []
        var index = 0
        while fields.count < 3 {
            guard index + 4 <= blob.count else { return nil }
            let count = Int(blob[index]) | Int(blob[index + 1]) << 8 | Int(blob[index + 2]) << 16 | Int(blob[index + 3]) << 24
            index += 4
            guard count <= blob.count - index else { return nil }
            fields.append(Array(blob[index..<(index + count)]))
            index += count
        }
        guard index == blob.count else { return nil }
        self.init(envelope: fields[0], body: fields[1], bodyStructure: fields[2])
    }
}
