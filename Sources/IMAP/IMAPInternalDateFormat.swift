/// Writes INTERNALDATE (RFC 3501 §9 `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP
/// time SP zone DQUOTE`) from epoch seconds, in UTC. `date-day-fixed` allows `SP DIGIT` or `2DIGIT`;
/// Loft writes two digits (`"07-Dec-2026 03:01:32 +0000"`), which every client parses.
enum IMAPInternalDateFormat {
    static func append(_ seconds: Int64, to out: inout [UInt8]) {
        let (days, secondOfDay) = IMAPCivilDate.split(seconds: seconds)
        let date = IMAPCivilDate.civil(days: days)
        out.append(UInt8(ascii: "\""))
        appendPadded(date.day, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        out.append(contentsOf: IMAPCivilDate.monthNames[date.month - 1])
        out.append(UInt8(ascii: "-"))
        appendPadded(date.year, width: 4, to: &out)
        out.append(IMAPByte.space)
        appendPadded(Int(secondOfDay / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int(secondOfDay / 60 % 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int(secondOfDay % 60), width: 2, to: &out)
        out.append(contentsOf: [IMAPByte.space, UInt8(ascii: "+"), 0x30, 0x30, 0x30, 0x30, UInt8(ascii: "\"")])
    }

    /// `value` in at least `width` digits (width 2 or 4; a negative year is written as 0000).
    static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        let v = max(0, value)
        var threshold = 10
        for _ in 1..<width {
            if v < threshold { out.append(UInt8(ascii: "0")) }
            threshold *= 10
        }
        IMAPByte.appendDecimal(v, to: &out)
    }
}
