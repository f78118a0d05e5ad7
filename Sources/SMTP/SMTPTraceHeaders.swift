import Foundation

/// The header fields Loft writes: `Received:` (RFC 5321 §4.4), and `Message-ID:` / `Date:`
/// for messages that lack them (RFC 6409 §8.1.6–8.1.7).
enum SMTPTraceHeaders {
    /// `Received: from <helo> (<ip>) by <host> (Loft) with <protocol> (<tls>) id <id>; <date>`,
    /// folded onto continuation lines. `with` follows RFC 3848; the TLS version and cipher are
    /// recorded as RFC 8314 §4.4 asks.
    static func received(envelope: SMTPEnvelope, hostname: String) -> String {
        var with = envelope.tls == nil ? "ESMTP" : "ESMTPS"
        if !envelope.authenticatedUser.isEmpty { with += "A" }
        var text = "Received: from \(envelope.heloName) (\(envelope.clientIP))\r\n\tby \(hostname) (Loft) with \(with)"
        if let tls = envelope.tls { text += " (\(tls.version) \(tls.cipher))" }
        text += "\r\n\tid \(envelope.queueID); \(date(envelope.receivedAt))\r\n"
        return text
    }

    static func messageID(envelope: SMTPEnvelope, hostname: String) -> String {
        "Message-ID: <\(envelope.queueID).\(UInt32.random(in: .min ... .max))@\(hostname)>\r\n"
    }

    static func dateField(_ date: Date) -> String { "Date: \(Self.date(date))\r\n" }

    /// RFC 5322 §3.3 `date-time` in the server's local time zone:
    /// `Tue, 05 May 2026 14:03:09 +0200`.
    static func date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let offset = parts.tm_gmtoff / 60
        func two(_ value: some BinaryInteger) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let zone = (offset < 0 ? "-" : "+") + two(abs(offset) / 60) + two(abs(offset) % 60)
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) \(zone)"
    }

    /// A queue id: 16 hex digits, unique enough to name one message in logs and headers.
    static func newQueueID() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
