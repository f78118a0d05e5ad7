import MIME

/// The text BODY searches: every text/* leaf, with its Content-Transfer-Encoding undone (quoted-printable,
/// base64) and its charset turned into UTF-8 where `IMAPTransferDecoding.utf8` knows it (other charsets are
/// searched as raw bytes). An encapsulated message (RFC 2046 §5.2.1) adds its header lines, RFC 2047
/// words decoded, and its own text. Non-text leaves (images, PDF, ...) are skipped: their transfer encoding
/// carries nothing a user would search for. text/html is searched as markup.
enum IMAPSearchBodyText {
    static func append(_ part: MIMEPart, bytes: [UInt8], to out: inout [UInt8]) {
        switch part.kind {
        case .multipart:
            for child in part.children { append(child, bytes: bytes, to: &out) }
        case .message:
            guard let inner = part.message else { return }
            out.append(contentsOf: IMAPSearchContent.headerText(inner.header))
            append(inner, bytes: bytes, to: &out)
        case .leaf:
            guard part.isType("text") else { return }
            let raw = bytes[part.bodyRange]
            let decoded: [UInt8]
            switch part.encoding.map({ String(decoding: $0, as: UTF8.self).lowercased() }) {
            case "quoted-printable": decoded = IMAPTransferDecoding.quotedPrintable(raw)
            case "base64": decoded = IMAPTransferDecoding.base64(raw)
            default: decoded = Array(raw)
            }
            let charset = part.parameter("charset") ?? Array("us-ascii".utf8)
            out.append(contentsOf: IMAPTransferDecoding.utf8(decoded, charset: charset) ?? decoded)
            out.append(IMAPByte.lf)
        }
    }
}
