/// Mailbox syntax checks (RFC 5321 §4.1.2, with RFC 6531 §3.3 UTF-8 extensions).
enum SMTPAddress {
    /// `Mailbox = Local-part "@" ( Domain / address-literal )`, with the length limits of
    /// RFC 5321 §4.5.3.1.1–3 (64 octets local part, 255 domain). UTF-8 is accepted here; the
    /// session refuses it when SMTPUTF8 was not given.
    static func isValid(_ mailbox: Substring) -> Bool {
        guard let at = mailbox.lastIndex(of: "@") else { return false }
        let local = mailbox[..<at]
        let domain = mailbox[mailbox.index(after: at)...]
        return isValidLocalPart(local) && isValidDomain(domain)
    }

    static func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }

    private static func isValidLocalPart(_ local: Substring) -> Bool {
        guard !local.isEmpty, local.utf8.count <= 64 else { return false }
        if local.first == "\"" {
            // Quoted-string = DQUOTE *QcontentSMTP DQUOTE
            guard local.count >= 2, local.last == "\"" else { return false }
            var escaped = false
            for scalar in local.dropFirst().dropLast().unicodeScalars {
                if escaped {
                    guard (0x20...0x7E).contains(scalar.value) else { return false }
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else if scalar == "\"" || (scalar.value < 0x20 || scalar.value == 0x7F) {
                    return false
                }
            }
            return !escaped
        }
        // Dot-string = Atom *("." Atom)
        return local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.unicodeScalars.allSatisfy(isAtext)
        }
    }

    /// RFC 5322 §3.2.3 atext, plus UTF-8 (RFC 6531 §3.3).
    private static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x80 { return true }
        if ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) { return true }
        return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }

    private static func isValidDomain(_ domain: Substring) -> Bool {
        guard !domain.isEmpty, domain.utf8.count <= 255 else { return false }
        if domain.first == "[" {
            // address-literal: "[" ( IPv4 / "IPv6:" IPv6 / General ) "]"; checked loosely.
            guard domain.last == "]", domain.count > 2 else { return false }
            return domain.dropFirst().dropLast().unicodeScalars.allSatisfy {
                (0x21...0x7E).contains($0.value) && $0 != "[" && $0 != "]" && $0 != "\\"
            }
        }
        // Domain = sub-domain *("." sub-domain); Let-dig [Ldh-str]
        return domain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-" else { return false }
            return label.unicodeScalars.allSatisfy {
                $0.value >= 0x80 || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }
        }
    }
}
