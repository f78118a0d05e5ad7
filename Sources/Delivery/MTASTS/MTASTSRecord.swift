/// The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1): `v=STSv1; id=20160831085700Z;`. Its `id` changes
/// whenever the domain publishes a new policy.
public struct MTASTSRecord: Sendable, Equatable {
    /// 1 to 32 letters and digits.
    public var id: String

    public init(id: String) {
        self.id = id
    }

    /// The domain's record among the TXT strings found at `_mta-sts.<domain>`, or nil when it has none.
    /// RFC 8461 §3.1: strings that do not begin with `v=STSv1` and a `;` are not STS records; unless exactly
    /// one remains and it is valid, the domain has no available policy.
    public static func select(from texts: [String]) -> MTASTSRecord? {
        let candidates = texts.filter(isSTSRecord)
        guard candidates.count == 1 else { return nil }
        return parse(candidates[0])
    }

    /// Parses one record: `sts-version 1*(sts-field-delim sts-field) [sts-field-delim]`, where a field is
    /// `id=` and 1*32 ALPHA / DIGIT, or an extension `name=value`; delimiters are `;` with optional WSP.
    /// Nil when it is not valid or has no `id` (or more than one).
    public static func parse(_ text: String) -> MTASTSRecord? {
        guard isSTSRecord(text) else { return nil }
        var fields = text.dropFirst("v=STSv1".count).split(separator: ";", omittingEmptySubsequences: false)
            .map { $0.trimmingWhitespace() }
        fields.removeFirst()  // what stood between "v=STSv1" and the first ";": only WSP (isSTSRecord)
        if fields.last?.isEmpty == true { fields.removeLast() }  // the optional trailing delimiter
        guard !fields.isEmpty else { return nil }
        var id: String?
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else { return nil }
            let name = field[..<equals], value = field[field.index(after: equals)...]
            guard let first = name.first, isAlphanumeric(first), name.count <= 32,
                  name.allSatisfy({ isAlphanumeric($0) || "_-.".contains($0) }),
                  !value.isEmpty, value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "=" })
            else { return nil }
            if name == "id" {
                guard id == nil, value.count <= 32, value.allSatisfy(isAlphanumeric) else { return nil }
                id = String(value)
            }
        }
        return id.map(MTASTSRecord.init(id:))
    }

    /// `v=STSv1`, optional WSP, then `;`.
    static func isSTSRecord(_ text: String) -> Bool {
        guard text.hasPrefix("v=STSv1") else { return false }
        return text.dropFirst("v=STSv1".count).drop(while: { $0 == " " || $0 == "\t" }).first == ";"
    }

    private static func isAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber)
    }
}
