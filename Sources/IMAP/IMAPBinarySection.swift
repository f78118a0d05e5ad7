import MIME

/// The data of a FETCH BINARY item (RFC 3516 §4.2): a part with its content-transfer-encoding
/// removed. `BINARY[]` is the whole message as it is (a message has no transfer encoding of its
/// own, only its body does); `BINARY[n...]` names a single part, as BODY's part numbers do.
enum IMAPBinarySection {
    /// Why a part cannot be given as BINARY: the whole FETCH then fails with a tagged NO.
    enum Refusal: Error, Equatable {
        /// RFC 3516 §4.3: a transfer encoding the server cannot remove (`NO [UNKNOWN-CTE]`).
        case unknownEncoding(String)
        /// A multipart: it has no content of its own to decode, only its parts do.
        case multipart

        var responseCode: String {
            switch self {
            case .unknownEncoding: "UNKNOWN-CTE"
            case .multipart: "CANNOT"
            }
        }

        var message: String {
            switch self {
            case .unknownEncoding(let name):
                "Cannot remove the content-transfer-encoding \(name) (RFC 3516 section 4.3)."
            case .multipart:
                "BINARY needs a single part, not a multipart; ask for its parts (RFC 3516 section 4.2)."
            }
        }
    }

    enum Encoding: Equatable {
        /// 7bit, 8bit, binary, or none given (RFC 2045 §6.1: the default is 7bit).
        case identity
        case base64
        case quotedPrintable
    }

    /// RFC 2045 §6.1 mechanisms, compared case-insensitively.
    static func encoding(of part: MIMEPart) -> Result<Encoding, Refusal> {
        guard let raw = part.encoding else { return .success(.identity) }
        let name = String(decoding: raw, as: UTF8.self).lowercased()
        switch name {
        case "7bit", "8bit", "binary": return .success(.identity)
        case "base64": return .success(.base64)
        case "quoted-printable": return .success(.quotedPrintable)
        default: return .failure(.unknownEncoding(String(name.prefix(64))))
        }
    }

    /// What a part number leads to: nil when there is no such part (answered as NIL).
    static func locate(_ path: [Int], in content: IMAPMessageContent) -> Result<(MIMEPart, Encoding), Refusal>? {
        guard !path.isEmpty else { return .success((content.root, .identity)) }
        guard let part = IMAPSectionPath.part(at: path, in: content.root) else { return nil }
        guard part.kind != .multipart else { return .failure(.multipart) }
        return encoding(of: part).map { (part, $0) }
    }

    /// The refusal, if any, that one of these items meets in this message.
    static func refusal(_ attributes: [IMAPFetchAttribute], in content: IMAPMessageContent) -> Refusal? {
        for attribute in attributes {
            let path: [Int]
            switch attribute {
            case .binary(let part, _, _), .binarySize(let part): path = part
            default: continue
            }
            if case .failure(let refusal) = locate(path, in: content) { return refusal }
        }
        return nil
    }

    /// The decoded octets; nil when the part does not exist or is refused.
    static func decoded(_ path: [Int], in content: IMAPMessageContent) -> [UInt8]? {
        guard case .success(let (part, encoding)) = locate(path, in: content) else { return nil }
        let range = path.isEmpty ? 0..<content.bytes.count : part.bodyRange
        let body = content.bytes[range]
        switch encoding {
        case .identity: return Array(body)
        case .base64: return IMAPTransferDecoding.base64(body)
        case .quotedPrintable: return IMAPTransferDecoding.quotedPrintable(body)
        }
    }
}
