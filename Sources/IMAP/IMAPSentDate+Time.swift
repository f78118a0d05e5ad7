extension IMAPSentDate {
    /// The instant of a Date: header in seconds since 1970 UTC (RFC 5256 §2.2: "adjusted by time zone
    /// to normalize to UTC"), or nil when it has no recognisable date and time (SORT then uses the
    /// INTERNALDATE).
    ///
    /// RFC 5322 §3.3 `date-time = [day-of-week ","] date time [CFWS]`, `time = hour ":" minute [":" second]
    /// FWS zone`; the obsolete forms of §4.3: two- and three-digit years, named zones (UT, GMT, EST ... PDT;
    /// military letters count as +0000, as §4.3 says they carry no information). A missing zone counts as
    /// +0000.
    static func seconds(of value: [UInt8]) -> Int64? {
        var tokens = value.split { b in
            b == IMAPByte.space || b == IMAPByte.tab || b == UInt8(ascii: ",") || b == IMAPByte.cr || b == IMAPByte.lf
        }[...]
        if let first = tokens.first, let b = first.first, !isDigit(b) { tokens = tokens.dropFirst() }
        guard tokens.count >= 4, let days = day(of: Array(tokens.prefix(3).joined(separator: [IMAPByte.space]))) else {
            return nil
        }
        let rest = Array(tokens.dropFirst(3))
        // time: hh:mm[:ss]
        let clock = rest[0].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard clock.count == 2 || clock.count == 3,
            let hour = number(clock[0]), hour < 24, clock[0].count <= 2,
            let minute = number(clock[1]), minute < 60, clock[1].count == 2
        else { return nil }
        var second = 0
        if clock.count == 3 {
            guard let s = number(clock[2]), s <= 60, clock[2].count == 2 else { return nil }
            second = s
        }
        let zone = rest.count > 1 ? zoneSeconds(rest[1]) : 0
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(zone ?? 0)
    }

    /// `zone = ("+" / "-") 4DIGIT` or an RFC 5322 §4.3 `obs-zone`: seconds east of UTC.
    static func zoneSeconds(_ token: ArraySlice<UInt8>) -> Int? {
        if let sign = token.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            let digits = token.dropFirst()
            guard digits.count == 4, let value = number(digits) else { return nil }
            let seconds = (value / 100) * 3600 + (value % 100) * 60
            return sign == UInt8(ascii: "-") ? -seconds : seconds
        }
        let name = String(decoding: token, as: UTF8.self).uppercased()
        switch name {
        case "UT", "GMT", "Z": return 0
        case "EDT": return -4 * 3600
        case "EST", "CDT": return -5 * 3600
        case "CST", "MDT": return -6 * 3600
        case "MST", "PDT": return -7 * 3600
        case "PST": return -8 * 3600
        default: return 0
        }
    }
}
