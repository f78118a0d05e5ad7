import NIOCore

/// Parses command lines (without CRLF) into `SMTPCommand`s. Command verbs and parameter
/// keywords are case-insensitive (RFC 5321 §2.4); arguments keep their case.
public enum SMTPParser {
    public static func parseCommand(_ line: ByteBuffer) throws(SMTPParseError) -> SMTPCommand {
        guard let text = String(validating: line.readableBytesView, as: UTF8.self),
              !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw SMTPParseError(500, "5.5.2 Invalid characters in command") }
        let verbEnd = text.firstIndex(of: " ") ?? text.endIndex
        // Verbs are ASCII: `uppercased()` alone would also turn "maıl" (dotless i) into "MAIL".
        let verbText = text[..<verbEnd]
        let verb = verbText.utf8.allSatisfy({ $0 < 0x80 }) ? verbText.uppercased() : ""
        let rest = verbEnd < text.endIndex ? text[text.index(after: verbEnd)...] : ""

        switch verb {
        case "EHLO", "HELO":
            let name = rest.trimmingSpaces
            guard !name.isEmpty, !name.contains(" ") else {
                throw SMTPParseError(501, "5.5.4 Syntax: \(verb) hostname")
            }
            return verb == "EHLO" ? .ehlo(String(name)) : .helo(String(name))
        case "MAIL": return .mail(try mailFrom(rest))
        case "RCPT": return .rcpt(try rcptTo(rest))
        case "DATA": try noArguments(rest, verb); return .data
        case "RSET": try noArguments(rest, verb); return .rset
        case "QUIT": try noArguments(rest, verb); return .quit
        case "STARTTLS": try noArguments(rest, verb); return .startTLS
        case "NOOP": return .noop  // RFC 5321 §4.1.1.9: a parameter is allowed and ignored
        case "HELP": return .help
        case "VRFY":
            guard !rest.trimmingSpaces.isEmpty else { throw SMTPParseError(501, "5.5.4 Syntax: VRFY address") }
            return .vrfy(String(rest.trimmingSpaces))
        case "BDAT": return try bdat(rest)
        case "AUTH":
            let words = rest.split(separator: " ")
            guard (1...2).contains(words.count) else {
                throw SMTPParseError(501, "5.5.4 Syntax: AUTH mechanism [initial-response]")
            }
            return .auth(mechanism: String(words[0]), initialResponse: words.count == 2 ? String(words[1]) : nil)
        default:
            throw SMTPParseError(500, "5.5.1 Unknown command")
        }
    }

    private static func noArguments(_ rest: Substring, _ verb: String) throws(SMTPParseError) {
        guard rest.trimmingSpaces.isEmpty else { throw SMTPParseError(501, "5.5.4 \(verb) takes no arguments") }
    }

    /// RFC 3030 §2: `bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF`.
    private static func bdat(_ rest: Substring) throws(SMTPParseError) -> SMTPCommand {
        let words = rest.split(separator: " ")
        guard (1...2).contains(words.count), let size = decimal(words[0]),
              words.count == 1 || words[1].uppercased() == "LAST"
        else { throw SMTPParseError(501, "5.5.4 Syntax: BDAT size [LAST]") }
        return .bdat(size: size, last: words.count == 2)
    }

    /// RFC 5321 §4.1.1.2: `"MAIL FROM:" Reverse-path [SP Mail-parameters]`; a space after the
    /// colon is tolerated as most servers do.
    static func mailFrom(_ rest: Substring) throws(SMTPParseError) -> SMTPMailFrom {
        guard let afterColon = stripPrefix(rest, "FROM:") else {
            throw SMTPParseError(501, "5.5.4 Syntax: MAIL FROM:<address>")
        }
        guard let (address, parameterText) = path(afterColon, allowNull: true) else {
            throw SMTPParseError(501, "5.1.7 Bad sender address syntax")
        }
        var mail = SMTPMailFrom(address: address)
        var seen: Set<String> = []
        for (keyword, value) in try parameters(parameterText) {
            guard seen.insert(keyword).inserted else { throw SMTPParseError(501, "5.5.4 \(keyword) given twice") }
            mail.hasParameters = true
            switch (keyword, value) {
            case ("SIZE", let value?):  // RFC 1870 §6
                guard let size = decimal(Substring(value)) else { throw SMTPParseError(501, "5.5.4 Bad SIZE value") }
                mail.size = size
            case ("BODY", let value?):  // RFC 6152 §2
                guard let body = SMTPEnvelope.BodyType(rawValue: value.uppercased()) else {
                    throw SMTPParseError(555, "5.5.4 BODY=\(value) is not supported")
                }
                mail.body = body
            case ("SMTPUTF8", nil):  // RFC 6531 §3.4
                mail.smtpUTF8 = true
            case ("REQUIRETLS", nil):  // RFC 8689 §4.1
                mail.requireTLS = true
            case ("AUTH", _?):  // RFC 4954 §5: accepted and ignored, the login is what counts
                break
            case ("RET", let value?):  // RFC 3461 §4.3
                let ret = value.uppercased()
                guard ret == "FULL" || ret == "HDRS" else { throw SMTPParseError(501, "5.5.4 RET must be FULL or HDRS") }
                mail.ret = ret
            case ("ENVID", let value?):  // RFC 3461 §4.4: xtext, at most 100 characters
                guard value.utf8.count <= 100, isXText(value) else { throw SMTPParseError(501, "5.5.4 Bad ENVID value") }
                mail.envelopeID = value
            default:
                throw SMTPParseError(555, "5.5.4 Unsupported MAIL parameter \(keyword)")
            }
        }
        return mail
    }

    /// RFC 5321 §4.1.1.3: `"RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
    /// Forward-path ) [SP Rcpt-parameters]`.
    static func rcptTo(_ rest: Substring) throws(SMTPParseError) -> SMTPRcptTo {
        guard let afterColon = stripPrefix(rest, "TO:") else {
            throw SMTPParseError(501, "5.5.4 Syntax: RCPT TO:<address>")
        }
        guard let (address, parameterText) = path(afterColon, allowNull: false) else {
            throw SMTPParseError(501, "5.1.3 Bad recipient address syntax")
        }
        var rcpt = SMTPRcptTo(recipient: SMTPRecipient(address: address))
        var seen: Set<String> = []
        for (keyword, value) in try parameters(parameterText) {
            guard seen.insert(keyword).inserted else { throw SMTPParseError(501, "5.5.4 \(keyword) given twice") }
            rcpt.hasParameters = true
            switch (keyword, value) {
            case ("NOTIFY", let value?):  // RFC 3461 §4.1
                let items = value.uppercased().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let valid = items == ["NEVER"]
                    || (!items.isEmpty && Set(items).count == items.count
                        && items.allSatisfy { ["SUCCESS", "FAILURE", "DELAY"].contains($0) })
                guard valid else { throw SMTPParseError(501, "5.5.4 NOTIFY must be NEVER or SUCCESS,FAILURE,DELAY") }
                rcpt.recipient.notify = items
            case ("ORCPT", let value?):  // RFC 3461 §4.2: addr-type ";" xtext
                guard let semicolon = value.firstIndex(of: ";"), semicolon > value.startIndex,
                      isXText(String(value[value.index(after: semicolon)...])),
                      !value[value.index(after: semicolon)...].isEmpty
                else { throw SMTPParseError(501, "5.5.4 Bad ORCPT value") }
                rcpt.recipient.originalRecipient = value
            default:
                throw SMTPParseError(555, "5.5.4 Unsupported RCPT parameter \(keyword)")
            }
        }
        return rcpt
    }

    private static func stripPrefix(_ text: Substring, _ prefix: String) -> Substring? {
        guard text.uppercased().hasPrefix(prefix) else { return nil }
        return text.dropFirst(prefix.count).drop(while: { $0 == " " })
    }

    /// `Path = "<" [ A-d-l ":" ] Mailbox ">"`; returns the mailbox and the text after `>`,
    /// which must be empty or start with a space. The obsolete source route is dropped
    /// (RFC 5321 §4.1.1.3 says to ignore it).
    static func path(_ text: Substring, allowNull: Bool) -> (String, Substring)? {
        guard text.first == "<" else { return nil }
        var inQuotes = false
        var escaped = false
        var end: Substring.Index?
        for index in text.indices.dropFirst() {
            let character = text[index]
            if escaped { escaped = false; continue }
            if inQuotes && character == "\\" { escaped = true; continue }
            if character == "\"" { inQuotes.toggle(); continue }
            if character == ">" && !inQuotes { end = index; break }
        }
        guard let end else { return nil }
        var inner = text[text.index(after: text.startIndex)..<end]
        let rest = text[text.index(after: end)...]
        guard rest.isEmpty || rest.first == " " else { return nil }
        if inner.first == "@" {
            guard let colon = inner.firstIndex(of: ":") else { return nil }
            inner = inner[inner.index(after: colon)...]
        }
        if inner.isEmpty { return allowNull ? ("", rest) : nil }
        if !allowNull && inner.uppercased() == "POSTMASTER" { return (String(inner), rest) }
        guard SMTPAddress.isValid(inner) else { return nil }
        return (String(inner), rest)
    }

    /// `esmtp-param = esmtp-keyword ["=" esmtp-value]` separated by spaces (RFC 5321 §4.1.2).
    /// Keywords come back upper-cased.
    private static func parameters(_ text: Substring) throws(SMTPParseError) -> [(String, String?)] {
        var result: [(String, String?)] = []
        for word in text.split(separator: " ") {
            let keyword: Substring
            var value: String?
            if let equals = word.firstIndex(of: "=") {
                keyword = word[..<equals]
                value = String(word[word.index(after: equals)...])
            } else {
                keyword = word
            }
            guard let first = keyword.unicodeScalars.first, isASCIILetter(first) || ("0"..."9").contains(first),
                  keyword.unicodeScalars.allSatisfy({ isASCIILetter($0) || ("0"..."9").contains($0) || $0 == "-" })
            else { throw SMTPParseError(501, "5.5.4 Bad parameter syntax") }
            if let value {
                guard !value.isEmpty, !value.unicodeScalars.contains(where: { $0 == "=" || $0.value < 0x21 || $0.value == 0x7F })
                else { throw SMTPParseError(501, "5.5.4 Bad value for \(keyword.uppercased())") }
            }
            result.append((keyword.uppercased(), value))
        }
        return result
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    /// RFC 3461 §4: `xtext = *( xchar / hexchar )`, `xchar` is `!`..`~` without `+` and `=`,
    /// `hexchar = "+" 2(%x30-39 / %x41-46)`.
    static func isXText(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                guard index + 2 < bytes.count, isUpperHex(bytes[index + 1]), isUpperHex(bytes[index + 2])
                else { return false }
                index += 3
                continue
            }
            guard byte >= 0x21, byte <= 0x7E, byte != UInt8(ascii: "=") else { return false }
            index += 1
        }
        return true
    }

    private static func isUpperHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte)
    }

    /// A decimal number of at most 18 digits (no sign, no overflow).
    static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text)
    }
}

extension Substring {
    /// Without leading and trailing spaces.
    var trimmingSpaces: Substring {
        guard let first = firstIndex(where: { $0 != " " }), let last = lastIndex(where: { $0 != " " }) else { return "" }
        return self[first...last]
    }
}
