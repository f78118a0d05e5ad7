import MIME

/// A message's ENVELOPE, BODY and BODYSTRUCTURE as wire bytes: what the per-message cache keeps
/// (`SharedMailbox.cachedBlob`), so `FETCH 1:* (ENVELOPE BODYSTRUCTURE)` on a mailbox seen
/// before reads no message file. The ENVELOPE alone comes from the header, so a FETCH of
/// ENVELOPE fills only that (BODY and BODYSTRUCTURE are added when first asked for). Stamped by
/// `IMAPServerInfo.cacheStamp`: a renderer or parser change must bump it.
public struct IMAPMessageStructure: Sendable, Equatable {
    public var envelope: [UInt8]
    public var body: [UInt8]?
    public var bodyStructure: [UInt8]?

    public init(envelope: [UInt8], body: [UInt8]?, bodyStructure: [UInt8]?) {
        self.envelope = envelope
        self.body = body
        self.bodyStructure = bodyStructure
    }

    /// All three from a whole message.
    public init(_ content: IMAPMessageContent) {
        var body = IMAPWireWriter()
        IMAPBodyStructure.write(content.root, extended: false, into: &body)
        var bodyStructure = IMAPWireWriter()
        IMAPBodyStructure.write(content.root, extended: true, into: &bodyStructure)
        self.init(envelope: Self.envelope(of: content), body: body.bytes, bodyStructure: bodyStructure.bytes)
    }

    /// The ENVELOPE of a message read up to the end of its header.
    public init(header content: IMAPMessageContent) {
        self.init(envelope: Self.envelope(of: content), body: nil, bodyStructure: nil)
    }

    private static func envelope(of content: IMAPMessageContent) -> [UInt8] {
        var envelope = IMAPWireWriter()
        IMAPEnvelope(header: content.root.header).write(into: &envelope)
        return envelope.bytes
    }

    /// Whether these items (and metadata) are all a FETCH asks for, so a structure can answer it.
    public static func canAnswer(_ attributes: [IMAPFetchAttribute]) -> Bool {
        attributes.allSatisfy { attribute in
            switch attribute {
            case .flags, .uid, .internalDate, .rfc822Size, .modSeq, .emailID, .threadID, .envelope, .bodyStructure: true
            default: false
            }
        }
    }

    /// Whether any of the items needs the MIME tree (BODY, BODYSTRUCTURE), not just the header.
    public static func needsBodyParts(_ attributes: [IMAPFetchAttribute]) -> Bool {
        attributes.contains { if case .bodyStructure = $0 { true } else { false } }
    }

    /// Whether this structure holds every item `attributes` asks for.
    public func answers(_ attributes: [IMAPFetchAttribute]) -> Bool {
        Self.canAnswer(attributes) && (!Self.needsBodyParts(attributes) || (body != nil && bodyStructure != nil))
    }

    /// Three length-prefixed fields (UInt32 little-endian lengths; all ones for a missing one).
    public var blob: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + envelope.count + (body?.count ?? 0) + (bodyStructure?.count ?? 0))
        for field in [envelope, body, bodyStructure] {
            let count = field.map { UInt32($0.count) } ?? UInt32.max
            bytes += [UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 24)]
            bytes += field ?? []
        }
        return bytes
    }

    /// Reads `blob`; nil when it is not one (a damaged cache entry is simply rebuilt).
    public init?(blob: [UInt8]) {
        var fields: [[UInt8]?] = []
        var index = 0
        while fields.count < 3 {
            guard index + 4 <= blob.count else { return nil }
            let count = UInt32(blob[index]) | UInt32(blob[index + 1]) << 8 | UInt32(blob[index + 2]) << 16
                | UInt32(blob[index + 3]) << 24
            index += 4
            if count == UInt32.max {
                fields.append(nil)
                continue
            }
            guard Int(count) <= blob.count - index else { return nil }
            fields.append(Array(blob[index..<(index + Int(count))]))
            index += Int(count)
        }
        guard index == blob.count, let envelope = fields[0] else { return nil }
        self.init(envelope: envelope, body: fields[1], bodyStructure: fields[2])
    }
}
