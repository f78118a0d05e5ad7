/// How names go in and come out of the resolver: ASCII-lowercased, without the trailing dot.
/// Names compare case-insensitively in ASCII only (RFC 4343 §3); internationalised names arrive
/// as A-labels and anything else passes through unchanged.
enum DomainName {
    static func normalized(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            if ("A"..."Z").contains(scalar) {
                scalars.append(Unicode.Scalar(UInt8(scalar.value + 0x20)))
            } else {
                scalars.append(scalar)
            }
        }
        var text = String(scalars)
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
