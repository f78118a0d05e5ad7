import DNS
import Testing

@Suite struct IPAddressTests {
    @Test func ipv4IsADottedQuadInHostOrder() {
        #expect(IPAddress.v4(0xC000_0201).description == "192.0.2.1")
        #expect(IPAddress.v4(0).description == "0.0.0.0")
        #expect(IPAddress.v4(0xFFFF_FFFF).description == "255.255.255.255")
    }

    /// RFC 5952 §4 and §5, one rule per row.
    @Test(arguments: [
        ("20010db8000000000000000000000001", "2001:db8::1"),                    // §4.2.1 longest run
        ("20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"),           // §4.2.2 not one group
        ("20010db8000000000001000000000001", "2001:db8::1:0:0:1"),              // §4.2.3 first of equal runs
        ("20010db8000000000000000100000000", "2001:db8::1:0:0"),                // §4.2.3 longer run wins
        ("20010DB8AAAABBBBCCCCDDDD0EEE000F", "2001:db8:aaaa:bbbb:cccc:dddd:eee:f"), // §4.1, §4.3
        ("00000000000000000000000000000000", "::"),
        ("00000000000000000000000000000001", "::1"),
        ("fe800000000000000000000000000000", "fe80::"),
        ("00000000000000000000ffffc0000201", "::ffff:192.0.2.1"),               // §5 IPv4-mapped
    ])
    func ipv6IsRFC5952Text(hex: String, text: String) {
        #expect(IPAddress.v6(bytes(hex: hex)).description == text)
    }
}
