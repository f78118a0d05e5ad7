/// The calendar day of a Date: header (RFC 5322 §3.3 `date-time = [day-of-week ","] date time`), as
/// written in the header's own zone: SENTBEFORE/SENTON/SENTSINCE disregard time and timezone
/// (RFC 3501 §6.4.4). Accepts the obsolete forms of RFC 5322 §4.3 (two- and three-digit years, no
/// day of week, comments after the date).
enum IMAPSentDate {
    /// Days since 1970-01-01, or nil when the value has no recognisable day, month and year.
    static func day(of value: [UInt8]) -> Int64? {
        var tokens = value.split { b in
            b == IMAPByte.space || b == IMAPByte.tab || b == UInt8(ascii: ",") || b == IMAPByte.cr || b == IMAPByte.lf
        }[...]
        // An optional day of week (or any word) before the day.
        if let first = tokens.first, let b = first.first, !isDigit(b) { tokens = tokens.dropFirst() }
        guard tokens.count >= 3 else { return nil }
        let parts = Array(tokens.prefix(3))
        guard let day = number(parts[0]), (1...31).contains(day),
            let month = month(parts[1]),
            var year = number(parts[2]), parts[2].count >= 2
        else { return nil }
        // RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx; three digits add 1900.
        if parts[2].count == 2 { year += year < 50 ? 2000 : 1900 } else if parts[2].count == 3 { year += 1900 }
        return IMAPCivilDate.days(year: year, month: month, day: day)
    }

    static func number(_ token: ArraySlice<UInt8>) -> Int? {
        guard !token.isEmpty, token.count <= 4, token.allSatisfy(isDigit) else { return nil }
        return token.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    static func month(_ token: ArraySlice<UInt8>) -> Int? {
        guard token.count == 3 else { return nil }
        return IMAPCivilDate.monthNames.firstIndex { IMAPByte.equalsIgnoringCase($0, token) }.map { $0 + 1 }
    }

    static func isDigit(_ b: UInt8) -> Bool {
        b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
    }
}
