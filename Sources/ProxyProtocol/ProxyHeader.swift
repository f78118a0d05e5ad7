import NIOCore

/// What a PROXY protocol header (HAProxy's "The PROXY protocol", versions 1 and 2) says about the
/// connection a proxy accepted and relayed to us.
public struct ProxyHeader: Sendable, Hashable {
    public enum Version: Sendable, Hashable {
        case v1
        case v2
    }

    public var version: Version
    /// The client's address and port as the proxy saw them; nil when the header names none (v1
    /// `UNKNOWN`, v2 `LOCAL`, v2 over UNIX sockets or an unspecified family): the socket's own peer stands.
    public var source: SocketAddress?
    /// The address and port the client connected to at the proxy; nil exactly when `source` is.
    public var destination: SocketAddress?

    public init(version: Version, source: SocketAddress? = nil, destination: SocketAddress? = nil) {
        self.version = version
        self.source = source
        self.destination = destination
    }
}

/// Why the bytes at the start of a connection are not a PROXY header Loft accepts; `description`
/// goes to the log as the reason the connection was closed.
public enum ProxyHeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Neither "PROXY " (v1) nor the v2 signature: the peer did not send a header at all.
    case notAProxyHeader
    /// A v1 line without CRLF within its 107 bytes.
    case lineTooLong
    /// A v1 line that does not follow the grammar; the text says which part.
    case malformedLine(String)
    /// A v2 header whose version nibble is not 2.
    case unsupportedVersion(UInt8)
    /// A v2 command other than LOCAL (0) and PROXY (1).
    case unknownCommand(UInt8)
    /// A v2 address family / transport byte the specification does not define.
    case unknownFamily(UInt8)
    /// A v2 length too short for the addresses of its family.
    case addressesTruncated(length: Int, needed: Int)
    /// A v2 TLV whose length runs past the end of the header.
    case malformedTLV

    public var description: String {
        switch self {
        case .notAProxyHeader: "not a PROXY protocol header"
        case .lineTooLong: "PROXY v1 line without CRLF in its first \(ProxyHeaderParser.maximumLineLength) bytes"
        case .malformedLine(let what): "malformed PROXY v1 line: \(what)"
        case .unsupportedVersion(let version): "PROXY v2 header with version \(version)"
        case .unknownCommand(let command): "PROXY v2 header with unknown command \(command)"
        case .unknownFamily(let family): "PROXY v2 header with unknown address family 0x\(String(family, radix: 16))"
        case .addressesTruncated(let length, let needed):
            "PROXY v2 header of \(length) bytes after the fixed part, too short for its addresses (\(needed))"
        case .malformedTLV: "PROXY v2 header with a TLV running past its end"
        }
    }
}
