/// RFC 5256 §2.1 base subject extraction, on a Subject: value whose RFC 2047 words are already
/// decoded to UTF-8.
///
/// The result is case-mapped the way "i;ascii-casemap" compares (RFC 4790 §9.2: a-z as A-Z), so
/// two base subjects compare equal exactly when SORT and THREAD must treat them as equal, with a
/// plain byte comparison.
///
/// ```
/// subj-refwd   = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
/// subj-blob    = "[" *BLOBCHAR "]" *WSP
/// subj-fwd-hdr = "[fwd:"          subj-fwd-trl = "]"
/// subj-leader  = (*subj-blob subj-refwd) / WSP
/// subj-trailer = "(fwd)" / WSP
/// BLOBCHAR     = %x01-5a / %x5c / %x5e-ff
/// ```
public struct IMAPBaseSubject: Sendable, Equatable {
    /// The base subject, case-mapped.
    public var text: [UInt8]
    /// Whether extraction removed a subj-refwd, a "(fwd)" trailer or a subj-fwd wrapper: the
    /// message is a reply or a forward (RFC 5256 §3 REFERENCES step 5; §2.1 note).
    public var isReplyOrForward: Bool

    public init(_ decodedSubject: [UInt8]) {
        var isReplyOrForward = false
        // (1) Tabs and continuations become spaces, runs of spaces one space; ASCII case-mapped.
        var s = Self.normalised(decodedSubject)
        while true {
            // (2) Trailing "(fwd)" and WSP, repeatedly.
            Self.removeTrailers(&s, isReplyOrForward: &isReplyOrForward)
            // (3)-(5) Leaders (WSP, blobs then Re:/Fwd:), and a blob when something remains after it.
            var changed = true
            while changed {
                changed = false
                if Self.removeLeader(&s, isReplyOrForward: &isReplyOrForward) { changed = true }
                if Self.removeBlob(&s) { changed = true }
            }
            // (6) "[fwd: ... ]" around the whole: unwrap and start over at (2).
            if s.count >= 6, s.starts(with: Self.fwdHeader), s.last == UInt8(ascii: "]") {
                s = Array(s[Self.fwdHeader.count..<(s.count - 1)])
                isReplyOrForward = true
                continue
            }
            break
        }
        text = s
        self.isReplyOrForward = isReplyOrForward
    }

    static let fwdHeader = Array("[FWD:".utf8)
    static let fwdTrailer = Array("(FWD)".utf8)

    static func isWSP(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// Step (1): WSP, CR and LF runs to one space, a-z to A-Z.
    static func normalised(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.count)
        var inSpace = false
        for b in value {
            if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A {
                if !inSpace { out.append(0x20) }
                inSpace = true
            } else {
                out.append(b >= 0x61 && b <= 0x7A ? b - 0x20 : b)
                inSpace = false
            }
        }
        return out
    }

    /// Step (2): `subj-trailer = "(fwd)" / WSP`, as often as it matches.
    static func removeTrailers(_ s: inout [UInt8], isReplyOrForward: inout Bool) {
        while let last = s.last {
            if isWSP(last) {
                s.removeLast()
            } else if s.count >= fwdTrailer.count, s[(s.count - fwdTrailer.count)...].elementsEqual(fwdTrailer) {
                s.removeLast(fwdTrailer.count)
                isReplyOrForward = true
            } else {
                return
            }
        }
    }

    /// Step (3): one `subj-leader` at the start; true when one was removed.
    static func removeLeader(_ s: inout [UInt8], isReplyOrForward: inout Bool) -> Bool {
        guard let first = s.first else { return false }
        if isWSP(first) {
            s.removeFirst(s.prefix(while: isWSP).count)
            return true
        }
        // *subj-blob subj-refwd
        var i = 0
        while let end = blobEnd(s, at: i) { i = end }
        guard let end = refwdEnd(s, at: i) else { return false }
        s.removeFirst(end)
        isReplyOrForward = true
        return true
    }

    /// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"` at `i`: the index after it.
    static func refwdEnd(_ s: [UInt8], at start: Int) -> Int? {
        var i = start
        func at(_ k: Int) -> UInt8? { k < s.count ? s[k] : nil }
        if at(i) == UInt8(ascii: "R"), at(i + 1) == UInt8(ascii: "E") {
            i += 2
        } else if at(i) == UInt8(ascii: "F"), at(i + 1) == UInt8(ascii: "W") {
            i += 2
            if at(i) == UInt8(ascii: "D") { i += 1 }
        } else {
            return nil
        }
        while let b = at(i), isWSP(b) { i += 1 }
        if let end = blobEnd(s, at: i) { i = end }
        guard at(i) == UInt8(ascii: ":") else { return nil }
        return i + 1
    }

    /// `subj-blob = "[" *BLOBCHAR "]" *WSP` at `i`: the index after it.
    static func blobEnd(_ s: [UInt8], at start: Int) -> Int? {
        guard start < s.count, s[start] == UInt8(ascii: "[") else { return nil }
        var i = start + 1
        while i < s.count, s[i] != UInt8(ascii: "]") {
            if s[i] == UInt8(ascii: "[") || s[i] == 0 { return nil }  // not a BLOBCHAR
            i += 1
        }
        guard i < s.count else { return nil }
        i += 1
        while i < s.count, isWSP(s[i]) { i += 1 }
        return i
    }

    /// Step (4): a leading `subj-blob`, removed only when a non-empty base subject remains.
    static func removeBlob(_ s: inout [UInt8]) -> Bool {
        guard let end = blobEnd(s, at: 0), end < s.count else { return false }
        s.removeFirst(end)
        return true
    }
}
