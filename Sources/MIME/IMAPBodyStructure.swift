/// BODY and BODYSTRUCTURE of a MIME tree, RFC 3501 §7.4.2 / RFC 9051 §7.5.2.
///
/// Leaf: `type subtype params id description encoding size` + `lines` for text/*, or
/// `envelope body lines` for message/rfc822; extension data `md5 disposition language location`.
/// Multipart: the children, then `subtype`; extension data `params disposition language location`.
/// A multipart without children gets one empty text/plain child (RFC 3501 `body-type-mpart` needs one).
public struct IMAPBodyStructure: Sendable {
    public var root: MIMEPart

    public init(_ root: MIMEPart) {
        self.root = root
    }

    /// `BODYSTRUCTURE` text (with extension data), `(...)`.
    public var bodyStructure: [UInt8] {
        var w = IMAPWireWriter()
        Self.write(root, extended: true, into: &w)
        return w.bytes
    }

    /// Non-extensible `BODY` text, `(...)`.
    public var body: [UInt8] {
        var w = IMAPWireWriter()
        Self.write(root, extended: false, into: &w)
        return w.bytes
    }

    public var bodyStructureFetchItem: [UInt8] { Array("BODYSTRUCTURE ".utf8) + bodyStructure }
    public var bodyFetchItem: [UInt8] { Array("BODY ".utf8) + body }

    static let defaultCharset = MIMEParameter("charset", "us-ascii")

    /// RFC 3501 §9 `body = "(" (body-type-1part / body-type-mpart) ")"`.
    public static func write(_ part: MIMEPart, extended: Bool, into w: inout IMAPWireWriter) {
        w.raw("(")
        if part.kind == .multipart {
            writeMultipart(part, extended: extended, into: &w)
        } else {
            writeSinglePart(part, extended: extended, into: &w)
        }
        w.raw(")")
    }

    /// RFC 3501 §9 `body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]`,
    /// `body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`.
    static func writeMultipart(_ part: MIMEPart, extended: Bool, into w: inout IMAPWireWriter) {
        if part.children.isEmpty {
            w.raw("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0")
            if extended { w.raw(" NIL NIL NIL NIL") }
            w.raw(")")
        }
        for child in part.children {
            write(child, extended: extended, into: &w)
        }
        w.raw(" ")
        w.string(part.subtype)
        guard extended else { return }
        w.raw(" ")
        writeParameters(part.parameters, into: &w)
        writeDispositionLanguageLocation(part, into: &w)
    }

    /// RFC 3501 §9 `body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]`,
    /// `body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`.
    static func writeSinglePart(_ part: MIMEPart, extended: Bool, into w: inout IMAPWireWriter) {
        let isText = part.isType("text")
        let isMessage = part.kind == .message
        if !isMessage && (part.isType("multipart") || part.isType("message", "rfc822")) {
            // A multipart or message kept whole (no boundary, or past the limits): reported as opaque
            // data, since `body-type-mpart` / `body-type-msg` would need the parts it does not have.
            w.raw("\"application\" \"octet-stream\"")
        } else if isMessage {
            // Written in lower case whatever the header's casing (as Dovecot does).
            w.raw("\"message\" \"rfc822\"")
        } else {
            w.string(part.type)
            w.raw(" ")
            w.string(part.subtype)
        }
        w.raw(" ")
        var params = part.parameters
        if isText, !params.contains(where: { ByteClass.equalsIgnoringCase($0.name, "charset") }) {
            params.append(defaultCharset)
        }
        writeParameters(params, into: &w)
        w.raw(" ")
        w.nstring(part.id)
        w.raw(" ")
        w.nstring(part.description)
        w.raw(" ")
        w.string(part.encoding ?? Array("7bit".utf8))
        w.raw(" \(part.bodySize)")
        if isMessage, let inner = part.message {
            w.raw(" ")
            IMAPEnvelope(header: inner.header).write(into: &w)
            w.raw(" ")
            write(inner, extended: extended, into: &w)
            w.raw(" \(part.bodyLines)")
        } else if isText {
            w.raw(" \(part.bodyLines)")
        }
        guard extended else { return }
        w.raw(" ")
        w.nstring(part.md5)
        writeDispositionLanguageLocation(part, into: &w)
    }

    /// RFC 3501 §9 `body-fld-dsp = "(" string SP body-fld-param ")" / nil`,
    /// `body-fld-lang = nstring / "(" string *(SP string) ")"`, `body-fld-loc = nstring`.
    static func writeDispositionLanguageLocation(_ part: MIMEPart, into w: inout IMAPWireWriter) {
        w.raw(" ")
        if let type = part.dispositionType {
            w.raw("(")
            w.string(type)
            w.raw(" ")
            writeParameters(part.dispositionParameters, into: &w)
            w.raw(")")
        } else {
            w.writeNil()
        }
        w.raw(" ")
        if let langs = part.languages {
            w.raw("(")
            for (i, l) in langs.enumerated() {
                if i > 0 { w.raw(" ") }
                w.string(l)
            }
            w.raw(")")
        } else {
            w.writeNil()
        }
        w.raw(" ")
        w.nstring(part.location)
    }

    /// RFC 3501 §9 `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil`.
    static func writeParameters(_ params: [MIMEParameter], into w: inout IMAPWireWriter) {
        guard !params.isEmpty else { return w.writeNil() }
        w.raw("(")
        for (i, p) in params.enumerated() {
            if i > 0 { w.raw(" ") }
            w.string(p.name)
            w.raw(" ")
            w.string(p.value)
        }
        w.raw(")")
    }
}
