@testable import DNS
import Testing

/// The wire-format parsers, on rdata no well-behaved server sends.
@Suite struct RDataParserTests {
    private let mx1: [UInt8] = [3] + Array("mx1".utf8) + [7] + Array("Example".utf8) + [4] + Array("test".utf8) + [0]

    @Test func mxReadsPreferenceAndLowercasedHost() {
        #expect(RDataParser.mx([0, 10] + mx1) == MXRecord(preference: 10, host: "mx1.example.test"))
        #expect(RDataParser.mx([0x01, 0x00, 0]) == MXRecord(preference: 256, host: ""))
    }

    @Test(arguments: [
        [UInt8](),
        [0, 10],                              // no exchange
        [0, 10, 3, 0x6D, 0x78],               // label longer than what is left
        [0, 10, 3, 0x6D, 0x78, 0x31],         // no terminating root label
        [0, 10, 0xC0, 0x0C],                  // a compression pointer
        [0, 10, 0, 0],                        // bytes after the name
        [0, 10, 64] + [UInt8](repeating: 0x61, count: 64) + [0],  // label over 63 octets
    ])
    func malformedMXIsSkipped(rdata: [UInt8]) {
        #expect(RDataParser.mx(rdata) == nil)
    }

    @Test func srvReadsItsFieldsAndTarget() {
        #expect(RDataParser.srv([0, 5, 0, 1, 0x03, 0xE1] + mx1)
                == SRVRecord(priority: 5, weight: 1, port: 993, target: "mx1.example.test"))
        // RFC 6186 §4: target "." says the service is not offered.
        #expect(RDataParser.srv([0, 0, 0, 0, 0, 0, 0]) == SRVRecord(priority: 0, weight: 0, port: 0, target: ""))
        #expect(RDataParser.srv([0, 5, 0, 1, 0x03]) == nil)
        #expect(RDataParser.srv([0, 5, 0, 1, 0x03, 0xE1] + mx1 + [0]) == nil)
    }

    @Test func namesOver255OctetsAreRefused() {
        let label: [UInt8] = [63] + [UInt8](repeating: 0x61, count: 63)
        let longName = label + label + label + label + [0]  // 257 octets
        #expect(RDataParser.domainName(in: longName, at: 0) == nil)
        let fits = label + label + label + [61] + [UInt8](repeating: 0x61, count: 61) + [0]  // 255 octets
        #expect(RDataParser.domainName(in: fits, at: 0)?.end == 255)
    }

    @Test func oddBytesInALabelAreEscapedSoNoDotIsSmuggled() {
        let name: [UInt8] = [5, 0x61, 0x2E, 0x62, 0x5C, 0x07, 4] + Array("test".utf8) + [0]
        #expect(RDataParser.domainName(in: name, at: 0)?.name == "a\\.b\\\\\\007.test")
    }

    @Test func txtJoinsItsStrings() {
        #expect(RDataParser.txt([7] + Array("v=spf1 ".utf8) + [4] + Array("-all".utf8)) == "v=spf1 -all")
        #expect(RDataParser.txt([0]) == "")
        #expect(RDataParser.txt([]) == nil)
        #expect(RDataParser.txt([5, 0x61, 0x62]) == nil)
        #expect(RDataParser.txt([2, 0x61, 0x62, 3, 0x63]) == nil)
    }

    @Test func tlsaSplitsItsFields() {
        #expect(RDataParser.tlsa([3, 1, 1, 0xAB, 0xCD]) == TLSARecord(usage: 3, selector: 1, matchingType: 1, data: [0xAB, 0xCD]))
        #expect(RDataParser.tlsa([3, 1]) == nil)
    }

    @Test func addressesNeedTheirExactLength() {
        #expect(RDataParser.ipv4([192, 0, 2, 1]) == .v4(0xC000_0201))
        #expect(RDataParser.ipv4([192, 0, 2]) == nil)
        #expect(RDataParser.ipv4([192, 0, 2, 1, 0]) == nil)
        #expect(RDataParser.ipv6([UInt8](repeating: 0, count: 16)) == .v6([UInt8](repeating: 0, count: 16)))
        #expect(RDataParser.ipv6([UInt8](repeating: 0, count: 15)) == nil)
    }
}
