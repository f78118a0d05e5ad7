import MIME

/// Writes a section spec as a FETCH response names it (RFC 3501 §7.4.2 `"BODY" section ["<" number ">"]`):
/// part numbers, then the section text in upper case, header field names as the client sent them.
enum IMAPSectionSpec {
    static func append(_ section: IMAPSection, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, number) in section.part.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ".")) }
            IMAPByte.appendDecimal(number, to: &out)
        }
        if let text = section.text {
            if !section.part.isEmpty { out.append(UInt8(ascii: ".")) }
            switch text {
            case .header: out.append(contentsOf: "HEADER".utf8)
            case .text: out.append(contentsOf: "TEXT".utf8)
            case .mime: out.append(contentsOf: "MIME".utf8)
            case .headerFields(let names):
                out.append(contentsOf: "HEADER.FIELDS ".utf8)
                appendList(names, to: &out)
            case .headerFieldsNot(let names):
                out.append(contentsOf: "HEADER.FIELDS.NOT ".utf8)
                appendList(names, to: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    /// RFC 3501 §9 `header-list = "(" header-fld-name *(SP header-fld-name) ")"`, each an astring.
    static func appendList(_ names: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "("))
        for (index, name) in names.enumerated() {
            if index > 0 { out.append(IMAPByte.space) }
            let bytes = Array(name.utf8)
            if !bytes.isEmpty, bytes.allSatisfy(isAstringChar) {
                out.append(contentsOf: bytes)
            } else {
                var writer = IMAPWireWriter()
                writer.string(bytes)
                out.append(contentsOf: writer.bytes)
            }
        }
        out.append(UInt8(ascii: ")"))
    }

    /// RFC 3501 §9 `ASTRING-CHAR = ATOM-CHAR / resp-specials`.
    static func isAstringChar(_ b: UInt8) -> Bool {
        guard b > 0x20, b < 0x7F else { return false }
        switch b {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
             UInt8(ascii: "\""), UInt8(ascii: "\\"):
            return false
        default:
            return true
        }
    }
}
