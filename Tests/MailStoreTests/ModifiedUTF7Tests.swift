import MailStore
import Testing

@Suite struct ModifiedUTF7Tests {
    /// (text, modified UTF-7): both directions.
    static let table: [(String, String)] = [
        ("", ""),
        ("INBOX", "INBOX"),
        ("&", "&-"),
        ("A&B", "A&-B"),
        ("&&", "&-&-"),
        ("Tom & Jerry", "Tom &- Jerry"),
        // RFC 3501 section 5.1.3's example.
        ("~peter/mail/日本語/台北", "~peter/mail/&ZeVnLIqe-/&U,BTFw-"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("é", "&AOk-"),
        ("Ω", "&A6k-"),
        ("日本語.メモ", "&ZeVnLIqe-.&MOEw4g-"),
        // Past U+FFFF: a surrogate pair.
        ("😀", "&2D3eAA-"),
        ("a😀b&c", "a&2D3eAA-b&-c"),
        ("😀é", "&2D3eAADp-"),
        // A literal & right after an encoded run.
        ("é&", "&AOk-&-"),
        ("Hello 世界", "Hello &ThZ1TA-"),
        // Controls are not printable: encoded.
        ("a\tb", "a&AAk-b"),
    ]

    @Test(arguments: table)
    func encodes(_ text: String, _ encoded: String) {
        #expect(ModifiedUTF7.encode(text) == encoded)
    }

    @Test(arguments: table)
    func decodes(_ text: String, _ encoded: String) throws {
        #expect(try ModifiedUTF7.decode(encoded) == text)
    }

    static let invalid: [(String, ModifiedUTF7.DecodingError)] = [
        ("&", .unterminatedShift(offset: 0)),
        ("abc&ZeVn", .unterminatedShift(offset: 3)),
        ("&AGE-", .encodedPrintableASCII(offset: 0)),  // "a" must represent itself
        ("&ACY-", .encodedPrintableASCII(offset: 0)),  // "&" must be "&-"
        ("&ZeVnLIqe-&U,BTFw-", .adjacentShifts(offset: 10)),
        ("&AOl-", .nonZeroPadding(offset: 0)),
        ("&AO-", .invalidBase64(offset: 0)),  // two characters hold no 16-bit unit
        ("&ZeVnL-", .invalidBase64(offset: 0)),
        ("&A!k-", .invalidBase64(offset: 0)),
        ("&A/k-", .invalidBase64(offset: 0)),  // standard base64 '/', not ','
        ("&AOk=-", .invalidBase64(offset: 0)),  // no padding
        ("&2D0-", .invalidUTF16(offset: 0)),  // lone high surrogate
        ("&3gA-", .invalidUTF16(offset: 0)),  // lone low surrogate
        ("&AAA-", .invalidUTF16(offset: 0)),  // U+0000
        ("Entwürfe", .invalidCharacter(offset: 4)),  // raw UTF-8
        ("a\tb", .invalidCharacter(offset: 1)),
    ]

    @Test(arguments: invalid)
    func rejects(_ encoded: String, _ error: ModifiedUTF7.DecodingError) {
        #expect(throws: error) { try ModifiedUTF7.decode(encoded) }
    }

    @Test func roundTripsMixedText() throws {
        for text in ["a", "Ünïcödé & more", "😀😀😀", "x😀&-y", "Sent Items", "Ärger.Übermut", "~&~"] {
            let encoded = ModifiedUTF7.encode(text)
            #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
            #expect(try ModifiedUTF7.decode(encoded) == text)
        }
    }
}
