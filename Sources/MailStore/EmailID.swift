/// A message's RFC 8474 EMAILID: 128 bits, written as 32 lowercase hex digits (a valid `objectid`,
/// RFC 8474 §7).
///
/// It follows from the message GUID as Dovecot keeps it for Maildir: the record's `G` field in
/// `dovecot-uidlist` when there is one, else the file's base name (the unique name up to the first
/// `,`, so the `,S=`/`,W=` sizes do not count). A GUID of 32 hex digits is the id itself; any other
/// (a base name such as `1700000000.M1P2Q3.host`) is hashed (FNV-1a, 128 bits). So a delivered or
/// appended message needs nothing stored to keep its id across restarts, and COPY and MOVE give the
/// new record `G<id>` to keep it (RFC 8474 §5.1).
public struct EmailID: Sendable, Hashable, CustomStringConvertible {
    let value: UInt128

    init(value: UInt128) {
        self.value = value
    }

    /// The id of a message whose GUID is `guid`.
    init(messageGUID guid: Substring) {
        if let id = EmailID(hex: guid) {
            self = id
            return
        }
        // FNV-1a, 128-bit parameters.
        let prime: UInt128 = (1 << 88) + 0x13b
        var hash: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d
        for byte in guid.utf8 { hash = (hash ^ UInt128(byte)) &* prime }
        self.value = hash
    }

    /// The id of the message of this uidlist record: from its `G` field, else its unique name.
    init(_ record: DovecotUIDList.Record) {
        if let guid = record.extensionValue("G"), !guid.isEmpty {
            self.init(messageGUID: Substring(guid))
        } else {
            self.init(uniqueName: record.uniqueName)
        }
    }

    /// The id of a message without a `G` field: from its unique name.
    init(uniqueName: String) {
        self.init(messageGUID: Self.baseName(uniqueName))
    }

    /// The id a client names in `SEARCH EMAILID` (RFC 8474 §6); nil for text that is no id Loft
    /// hands out (then no message has it).
    public init?(_ text: String) {
        self.init(hex: Substring(text))
    }

    private init?(hex: Substring) {
        guard hex.utf8.count == 32, let value = UInt128(hex, radix: 16),
              hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) })
        else { return nil }
        self.value = value
    }

    private static func baseName(_ uniqueName: String) -> Substring {
        uniqueName[..<(uniqueName.firstIndex(of: ",") ?? uniqueName.endIndex)]
    }

    /// 32 lowercase hex digits.
    public var description: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 32 - digits.count) + digits
    }
}
