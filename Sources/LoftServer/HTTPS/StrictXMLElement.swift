/// An element of a small XML document, as the strict reader below builds it: its local name, its
/// namespace, its child elements and its character data (the text directly inside it).
struct StrictXMLElement: Sendable, Equatable {
    var name: String
    var namespace: String?
    var children: [StrictXMLElement] = []
    var text = ""

    struct Malformed: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    func children(named name: String) -> [StrictXMLElement] {
        children.filter { $0.name == name }
    }

    /// The root element of an XML 1.0 document in UTF-8. Strict and small, for short request bodies:
    /// an XML declaration, comments and processing instructions are skipped; a DOCTYPE (entities,
    /// external references) and CDATA are refused; attribute values must be quoted; the five predefined
    /// entities and character references are decoded; tags must nest; nothing but whitespace and
    /// comments may follow the root. Elements nest at most 32 deep.
    static func parseDocument(_ bytes: [UInt8]) throws(Malformed) -> StrictXMLElement {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Malformed(description: "not UTF-8") }
        var reader = XMLReader(text: Array(text.unicodeScalars))
        return try reader.document()
    }
}

/// The scanner behind `StrictXMLElement.parseDocument`.
private struct XMLReader {
    let text: [Unicode.Scalar]
    var position = 0
    static let maximumDepth = 32

    init(text: [Unicode.Scalar]) {
        self.text = text
    }

    private func fail(_ reason: String) -> StrictXMLElement.Malformed {
        StrictXMLElement.Malformed(description: "\(reason) at character \(position)")
    }

    private func starts(with literal: String) -> Bool {
        let scalars = Array(literal.unicodeScalars)
        return position + scalars.count <= text.count && Array(text[position..<position + scalars.count]) == scalars
    }

    private mutating func skipWhitespace() {
        while position < text.count, Self.isWhitespace(text[position]) { position += 1 }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n"
    }

    /// Skips `<?...?>` and `<!--...-->` (and whitespace) until something else comes.
    private mutating func skipMisc() throws(StrictXMLElement.Malformed) {
        while true {
            skipWhitespace()
            if starts(with: "<?") {
                try skip(past: "?>")
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<!") {
                throw fail("DOCTYPE and other declarations are not accepted")
            } else {
                return
            }
        }
    }

    private mutating func skip(past terminator: String) throws(StrictXMLElement.Malformed) {
        while position < text.count, !starts(with: terminator) { position += 1 }
        guard position < text.count else { throw fail("unterminated \(terminator)") }
        position += terminator.unicodeScalars.count
    }

    mutating func document() throws(StrictXMLElement.Malformed) -> StrictXMLElement {
        try skipMisc()
        guard starts(with: "<") else { throw fail("expected the root element") }
        let root = try element(depth: 1, namespaces: [:])
        try skipMisc()
        guard position == text.count else { throw fail("content after the root element") }
        return root
    }

    /// An element starting at `<`; `namespaces` maps prefixes ("" for the default) in scope.
    private mutating func element(depth: Int, namespaces: [String: String]) throws(StrictXMLElement.Malformed) -> StrictXMLElement {
        guard depth <= Self.maximumDepth else { throw fail("elements nest too deep") }
        position += 1  // "<"
        let qualifiedName = try name()
        var attributes: [(String, String)] = []
        var selfClosing = false
        while true {
            let hadSpace = position < text.count && Self.isWhitespace(text[position])
            skipWhitespace()
            guard position < text.count else { throw fail("unterminated tag <\(qualifiedName)") }
            if starts(with: "/>") {
                position += 2
                selfClosing = true
                break
            }
            if text[position] == ">" {
                position += 1
                break
            }
            guard hadSpace else { throw fail("expected whitespace before an attribute") }
            let attributeName = try name()
            skipWhitespace()
            guard position < text.count, text[position] == "=" else { throw fail("expected = after \(attributeName)") }
            position += 1
            skipWhitespace()
            let value = try quoted()
            guard !attributes.contains(where: { $0.0 == attributeName }) else { throw fail("duplicate attribute \(attributeName)") }
            attributes.append((attributeName, value))
        }
        var scope = namespaces
        for (attributeName, value) in attributes {
            if attributeName == "xmlns" { scope[""] = value }
            if attributeName.hasPrefix("xmlns:") { scope[String(attributeName.dropFirst(6))] = value }
        }
        let (prefix, localName) = Self.split(qualifiedName)
        if !prefix.isEmpty, scope[prefix] == nil { throw fail("undeclared namespace prefix \(prefix)") }
        var result = StrictXMLElement(name: localName, namespace: scope[prefix])
        if selfClosing { return result }
        while true {
            guard position < text.count else { throw fail("</\(qualifiedName)> is missing") }
            if starts(with: "</") {
                position += 2
                let closing = try name()
                skipWhitespace()
                guard closing == qualifiedName, position < text.count, text[position] == ">" else {
                    throw fail("</\(closing)> does not close <\(qualifiedName)>")
                }
                position += 1
                return result
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<?") {
                try skip(past: "?>")
            } else if starts(with: "<!") {
                throw fail("CDATA and declarations are not accepted")
            } else if text[position] == "<" {
                result.children.append(try element(depth: depth + 1, namespaces: scope))
            } else {
                result.text += try characterData()
            }
        }
    }

    private static func split(_ qualifiedName: String) -> (prefix: String, local: String) {
        guard let colon = qualifiedName.firstIndex(of: ":") else { return ("", qualifiedName) }
        return (String(qualifiedName[..<colon]), String(qualifiedName[qualifiedName.index(after: colon)...]))
    }

    /// A name (XML 1.0 §2.3, ASCII subset plus any non-ASCII letter).
    private mutating func name() throws(StrictXMLElement.Malformed) -> String {
        let start = position
        while position < text.count {
            let scalar = text[position]
            let isNameCharacter = scalar.properties.isAlphabetic || scalar == "_" || scalar == ":"
                || (position > start && (scalar.properties.numericType != nil || scalar == "-" || scalar == "."))
            guard isNameCharacter else { break }
            position += 1
        }
        guard position > start else { throw fail("expected a name") }
        var name = ""
        name.unicodeScalars.append(contentsOf: text[start..<position])
        return name
    }

    private mutating func quoted() throws(StrictXMLElement.Malformed) -> String {
        guard position < text.count, text[position] == "\"" || text[position] == "'" else { throw fail("expected a quoted value") }
        let quote = text[position]
        position += 1
        var value = ""
        while position < text.count, text[position] != quote {
            if text[position] == "<" { throw fail("< in an attribute value") }
            if text[position] == "&" {
                value.unicodeScalars.append(try reference())
            } else {
                value.unicodeScalars.append(text[position])
                position += 1
            }
        }
        guard position < text.count else { throw fail("unterminated attribute value") }
        position += 1
        return value
    }

    private mutating func characterData() throws(StrictXMLElement.Malformed) -> String {
        var data = ""
        while position < text.count, text[position] != "<" {
            if text[position] == "&" {
                data.unicodeScalars.append(try reference())
            } else {
                data.unicodeScalars.append(text[position])
                position += 1
            }
        }
        return data
    }

    /// `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#N;` `&#xH;` (XML 1.0 §4.1, §4.6).
    private mutating func reference() throws(StrictXMLElement.Malformed) -> Unicode.Scalar {
        let start = position
        while position < text.count, text[position] != ";", position - start < 12 { position += 1 }
        guard position < text.count, text[position] == ";" else { throw fail("unterminated entity reference") }
        var body = ""
        body.unicodeScalars.append(contentsOf: text[(start + 1)..<position])
        position += 1
        switch body {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            let number: UInt32? = body.hasPrefix("#x") ? UInt32(body.dropFirst(2), radix: 16)
                : body.hasPrefix("#") ? UInt32(body.dropFirst(), radix: 10) : nil
            guard let number, let scalar = Unicode.Scalar(number) else { throw fail("unknown entity &\(body);") }
            return scalar
        }
    }
}

extension String {
    /// Without leading and trailing XML whitespace (space, tab, CR, LF).
    func trimmingXMLWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" || first == "\n" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" || last == "\n" { scalars.removeLast() }
        return String(scalars)
    }
}
