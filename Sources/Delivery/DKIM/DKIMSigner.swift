import Foundation
import TLS

/// One key that signs for a domain: `d=` and `s=` of its signatures.
public struct DKIMSigningIdentity: Sendable, Equatable {
    /// The signing domain, lowercased (the RFC 5322 From domain it signs for).
    public var domain: String
    public var selector: String
    /// The PEM private key, read at every signing (so a fixed or replaced file needs no restart).
    public var keyFile: String

    public init(domain: String, selector: String, keyFile: String) {
        self.domain = domain.lowercased()
        self.selector = selector
        self.keyFile = keyFile
    }
}

/// Makes DKIM-Signature header fields (RFC 6376 §3.5, §5): relaxed/relaxed, the body hash over the whole
/// body, a fixed list of header fields with From oversigned. Pure apart from the key's signature.
enum DKIMSigner {
    /// The fields signed when present, each as many times as it occurs (RFC 6376 §5.4.1).
    static let signedFieldNames = [
        "From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
        "Content-Transfer-Encoding", "Reply-To", "In-Reply-To", "References",
    ]

    /// The `h=` list for `fields`: each signed name once per occurrence, then one more `From`, which
    /// matches no field and so makes a From added later break the signature (RFC 6376 §5.4.2, §8.15).
    static func headerList(for fields: [DKIMMessage.Field]) -> [String] {
        var names: [String] = []
        for name in signedFieldNames {
            let count = fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.count
            names += Array(repeating: name, count: count)
        }
        return names + ["From"]
    }

    /// The DKIM-Signature field for `message` under `key`, folded with CRLF + SP, ending in CRLF.
    static func signatureField(
        for message: DKIMMessage, domain: String, selector: String, key: DKIMSigningKey, time: Date
    ) throws -> String {
        let names = headerList(for: message.fields)
        var folder = DKIMFieldFolder(name: "DKIM-Signature")
        folder.append(tag: "v=1;")
        folder.append(tag: "a=\(key.algorithm.rawValue);")
        folder.append(tag: "c=relaxed/relaxed;")
        folder.append(tag: "d=\(domain);")
        folder.append(tag: "s=\(selector);")
        folder.append(tag: "t=\(Int(time.timeIntervalSince1970));")
        folder.append(list: names.enumerated().map { $0.offset == 0 ? "h=\($0.element)" : $0.element }, separator: ":", end: ";")
        folder.append(tag: "bh=", continuedBy: Data(message.bodyHash).base64EncodedString() + ";")
        folder.append(tag: "b=")
        // RFC 6376 §3.7: the header fields in `h=` order, for a repeated name the last instance not yet
        // used (§5.4.2: from the bottom up), then this field with an empty b= and no final CRLF.
        var input: [UInt8] = []
        var used: [String: Int] = [:]
        for name in names {
            let instances = message.fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }
            let taken = used[name, default: 0]
            used[name] = taken + 1
            guard taken < instances.count else { continue }  // the oversigned From: a null string
            input += DKIMRelaxedHeader.canonical(instances[instances.count - 1 - taken].bytes)
        }
        input += DKIMRelaxedHeader.canonical(Array(folder.text.utf8), lineEnd: false)
        folder.extend(with: Data(try key.sign(input)).base64EncodedString())
        return folder.text + "\r\n"
    }
}

/// Folds a header field at `limit` columns with CRLF + SP (RFC 5322 §2.2.3), where DKIM allows folding
/// white space: between tags, around the colons of `h=` and inside base64 values (RFC 6376 §3.5).
struct DKIMFieldFolder {
    /// Columns of a line before its CRLF: below RFC 5322's 78.
    static let limit = 76
    private(set) var text: String
    private var column: Int

    init(name: String) {
        text = name + ":"
        column = text.utf8.count
    }

    /// A tag that is never split (" tag" on this line, or on the next).
    mutating func append(tag: String) {
        put(tag, separator: " ")
    }

    /// A tag whose value may be broken anywhere (base64): as much as fits on each line.
    mutating func append(tag: String, continuedBy value: String) {
        put(tag, separator: " ")
        extend(with: value)
    }

    /// A list whose items may be folded between (`h=From:To:...;`).
    mutating func append(list items: [String], separator: String, end: String) {
        for (index, item) in items.enumerated() {
            put(item + (index == items.count - 1 ? end : separator), separator: index == 0 ? " " : "")
        }
    }

    /// Continues the last tag's value (base64), breaking lines wherever it reaches the limit.
    mutating func extend(with value: String) {
        var rest = Substring(value)
        while !rest.isEmpty {
            if column >= Self.limit { newLine() }
            let piece = rest.prefix(Self.limit - column)
            text += piece
            column += piece.utf8.count
            rest = rest.dropFirst(piece.count)
        }
    }

    private mutating func put(_ atom: String, separator: String) {
        if column + separator.utf8.count + atom.utf8.count > Self.limit {
            newLine()
            text += atom
            column += atom.utf8.count
        } else {
            text += separator + atom
            column += separator.utf8.count + atom.utf8.count
        }
    }

    private mutating func newLine() {
        text += "\r\n "
        column = 1
    }
}
