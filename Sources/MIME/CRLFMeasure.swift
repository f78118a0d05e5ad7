/// Sizes as RFC 3501 §7.4.2 counts them: every bare LF counts as CRLF (two octets).
enum CRLFMeasure {
    /// (octets, lines) of `bytes[range]`; a line is counted for each LF.
    static func measure(_ bytes: [UInt8], _ range: Range<Int>) -> (size: Int, lines: Int) {
        var size = range.count
        var lines = 0
        var i = range.lowerBound
        while i < range.upperBound {
            if bytes[i] == ByteClass.lf {
                lines += 1
                if i == 0 || bytes[i - 1] != ByteClass.cr { size += 1 }
            }
            i += 1
        }
        return (size, lines)
    }
}
