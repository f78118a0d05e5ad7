/// The METADATA commands (RFC 5464 §4). A mailbox name of `""` means the server's entries (§4.2, §4.3).
public enum IMAPMetadataCommand: Sendable, Equatable {
    /// `GETMETADATA [(options)] mailbox entries` (§4.2).
    case get(IMAPMailboxName, entries: [IMAPMetadataEntryName], options: IMAPMetadataOptions)
    /// `SETMETADATA mailbox (entry value ...)` (§4.3); a nil value removes the entry.
    case set(IMAPMailboxName, values: [IMAPMetadataValue])
}

/// GETMETADATA's options (§4.2.1 MAXSIZE, §4.2.2 DEPTH).
public struct IMAPMetadataOptions: Sendable, Equatable {
    /// Values longer than this are left out and reported in `OK [METADATA LONGENTRIES n]`.
    public var maxSize: UInt32?
    public var depth: IMAPMetadataDepth

    public init(maxSize: UInt32? = nil, depth: IMAPMetadataDepth = .zero) {
        self.maxSize = maxSize
        self.depth = depth
    }
}

/// How far below each requested entry GETMETADATA looks (§4.2.2).
public enum IMAPMetadataDepth: Sendable, Equatable {
    /// The entry itself.
    case zero
    /// The entry and its children.
    case one
    /// The entry and everything below it.
    case infinity
}

/// One `entry SP value` of SETMETADATA.
public struct IMAPMetadataValue: Sendable, Equatable {
    public var entry: IMAPMetadataEntryName
    /// Nil (`NIL`) removes the entry.
    public var value: [UInt8]?

    public init(entry: IMAPMetadataEntryName, value: [UInt8]?) {
        self.entry = entry
        self.value = value
    }
}

/// A valid entry name, lower-cased: entry names are case-insensitive (RFC 5464 §3.2.1).
public struct IMAPMetadataEntryName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let name: String

    /// Nil for what §3.2.1 forbids: a name that does not start with `/private/` or `/shared/`, holds `*`
    /// or `%` (reserved for wildcards), `//`, a trailing `/`, or anything but printable ASCII. The two
    /// namespace roots `/private` and `/shared` themselves are names too (GETMETADATA with DEPTH reads
    /// below them; SETMETADATA refuses them: `isNamespaceRoot`).
    public init?(_ bytes: [UInt8]) {
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: "%") })
        else { return nil }
        let name = String(decoding: bytes, as: UTF8.self).lowercased()
        guard name == "/private" || name == "/shared"
                || (name.hasPrefix("/private/") || name.hasPrefix("/shared/")) && !name.hasSuffix("/") && !name.contains("//")
        else { return nil }
        self.name = name
    }

    /// `/private` or `/shared`: a namespace, not an entry that can hold a value.
    public var isNamespaceRoot: Bool { name == "/private" || name == "/shared" }

    /// Whether `self` is the private or the shared entry (§3.2: two namespaces).
    public var isPrivate: Bool { name.hasPrefix("/private") }

    /// Whether `other` lies below `self`, at most `depth` levels down (0: only `self`).
    public func covers(_ other: String, depth: IMAPMetadataDepth) -> Bool {
        if other == name { return true }
        guard depth != .zero, other.hasPrefix(name + "/") else { return false }
        return depth == .infinity || !other.dropFirst(name.count + 1).contains("/")
    }

    public var description: String { name }

    public static func < (a: Self, b: Self) -> Bool { a.name < b.name }
}
