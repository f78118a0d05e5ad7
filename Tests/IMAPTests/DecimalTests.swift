@testable import IMAP
import Testing

@Suite struct DecimalTests {
    @Test("numbers are written as Swift's description writes them, at the edges of each width")
    func decimals() {
        let values: [Int64] = [0, 1, 9, 10, 99, 100, 4_294_967_295, 4_294_967_296, .max, -1, -10, .min]
        for value in values {
            var out: [UInt8] = Array("x".utf8)
            IMAPByte.appendDecimal(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "x\(value)")
        }
        var out: [UInt8] = []
        IMAPByte.appendDecimal(UInt64.max, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\(UInt64.max)")
    }
}
