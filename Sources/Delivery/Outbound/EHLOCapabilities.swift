/// What a server's `250` reply to EHLO advertises (RFC 5321 §4.1.1.1):
///
///     ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
///                 / ( "250-" Domain [ SP ehlo-greet ] CRLF
///                     *( "250-" ehlo-line CRLF ) "250" SP ehlo-line CRLF )
///     ehlo-line   = ehlo-keyword *( SP ehlo-param )
///
/// Keywords are case-insensitive. A reply to HELO gives `EHLOCapabilities()`: no extensions at all.
public struct EHLOCapabilities: Sendable, Equatable {
    /// The domain the server names itself with on the first line.
    public var serverName: String = ""
    /// STARTTLS (RFC 3207).
    public var starttls = false
    /// PIPELINING (RFC 2920).
    public var pipelining = false
    /// SIZE (RFC 1870 §4): nil when not advertised; `0` when advertised without a limit (`SIZE` or `SIZE 0`);
    /// else the largest message the server accepts, in bytes.
    public var size: Int?
    /// 8BITMIME (RFC 6152).
    public var eightBitMIME = false
    /// SMTPUTF8 (RFC 6531).
    public var smtputf8 = false
    /// DSN (RFC 3461).
    public var dsn = false
    /// REQUIRETLS (RFC 8689); only meaningful when advertised after STARTTLS.
    public var requireTLS = false
    /// CHUNKING, i.e. BDAT (RFC 3030).
    public var chunking = false
    /// BINARYMIME (RFC 3030 §3).
    public var binaryMIME = false
    /// ENHANCEDSTATUSCODES (RFC 2034).
    public var enhancedStatusCodes = false
    /// The SASL mechanisms after `AUTH` (RFC 4954 §3), upper-cased, in the server's order. The pre-standard
    /// `AUTH=LOGIN PLAIN` form some servers still send is read too.
    public var authMechanisms: [String] = []
    /// The extension lines as the server sent them (every line after the first), for display.
    public var raw: [String] = []

    public init() {}

    /// The capabilities in a reply to EHLO. Lines that are not a keyword are kept in `raw` and otherwise ignored.
    public init(ehloReply reply: SMTPClientReply) {
        serverName = String(reply.lines.first?.prefix { $0 != " " } ?? "")
        raw = Array(reply.lines.dropFirst())
        for line in raw {
            let words = line.split(separator: " ")
            guard let keywordWord = words.first else { continue }
            var keyword = keywordWord.uppercased()
            var parameters = words.dropFirst().map(String.init)
            if keyword.hasPrefix("AUTH=") {
                parameters.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            switch keyword {
            case "STARTTLS": starttls = true
            case "PIPELINING": pipelining = true
            case "SIZE":
                // RFC 1870 §4: `"SIZE" [SP size]`; a value that is not a number is read as "no limit given".
                size = parameters.first.flatMap { Int($0) }.map { max($0, 0) } ?? 0
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtputf8 = true
            case "DSN": dsn = true
            case "REQUIRETLS": requireTLS = true
            case "CHUNKING": chunking = true
            case "BINARYMIME": binaryMIME = true
            case "ENHANCEDSTATUSCODES": enhancedStatusCodes = true
            case "AUTH":
                for mechanism in parameters.map({ $0.uppercased() }) where !authMechanisms.contains(mechanism) {
                    authMechanisms.append(mechanism)
                }
            default: break
            }
        }
    }
}
