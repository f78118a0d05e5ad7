import Delivery
import NIOHTTP1

/// One answer of the HTTPS listener, before it is written.
struct HTTPSResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []

    static func text(_ status: HTTPResponseStatus, _ text: String, headers: [(String, String)] = []) -> HTTPSResponse {
        HTTPSResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), headers: headers)
    }

    /// A generated document: fetched once by a client setting itself up, so caches must ask again
    /// (`no-cache`) and see a changed configuration at once.
    static func document(_ contentType: String, _ text: String, headers: [(String, String)] = []) -> HTTPSResponse {
        HTTPSResponse(status: .ok, contentType: contentType, body: Array(text.utf8), headers: [("Cache-Control", "no-cache")] + headers)
    }
}

/// What the HTTPS listener serves, as a pure function of the request: the MTA-STS policy (RFC 8461 §3.2)
/// on `mta-sts.DOMAIN`, and the autoconfiguration documents for addresses of local domains. The host is
/// the `Host` header's name, or the TLS SNI name when a request has no `Host` (HTTP/1.0).
struct HTTPSRouter: Sendable {
    static let mtaSTSPath = "/.well-known/mta-sts.txt"
    static let autoconfigPath = "/mail/config-v1.1.xml"
    static let wellKnownAutoconfigPath = "/.well-known/autoconfig/mail/config-v1.1.xml"
    static let autodiscoverPath = "/autodiscover/autodiscover.xml"
    static let appleProfilePath = "/apple/mobileconfig"

    let settings: MailClientSettings
    let policy: MTASTSPublishedPolicy

    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var version: HTTPVersion
        /// The `Host` header, if any (with its port, as sent).
        var host: String?
        /// The SNI name of the TLS handshake, if any.
        var serverName: String?
        var body: [UInt8] = []
    }

    func respond(to request: Request) -> HTTPSResponse {
        // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400.
        if request.host == nil, request.version.major == 1, request.version.minor >= 1 {
            return .text(.badRequest, "The request has no Host header.\n")
        }
        guard let target = Self.splitTarget(request.uri) else { return .text(.badRequest, "The request target is not a path.\n") }
        let host = Self.hostName(request.host ?? request.serverName ?? "")
        switch target.path {
        case Self.mtaSTSPath:
            return onlyGetOrHead(request) ?? mtaSTSPolicy(host: host)
        case Self.autoconfigPath where host.hasPrefix("autoconfig."), Self.wellKnownAutoconfigPath:
            return onlyGetOrHead(request) ?? autoconfig(host: host, query: target.query)
        case Self.appleProfilePath:
            return onlyGetOrHead(request) ?? appleProfile(query: target.query)
        case _ where target.path.lowercased() == Self.autodiscoverPath:  // Outlook writes /Autodiscover/Autodiscover.xml
            guard request.method == .POST else {
                return .text(.methodNotAllowed, "Autodiscover takes a POST with the request XML.\n", headers: [("Allow", "POST")])
            }
            return autodiscover(body: request.body)
        default:
            return .text(.notFound, "Nothing is served at this address.\n")
        }
    }

    /// nil for GET and HEAD, else the 405 (RFC 9110 §15.5.6: with `Allow`).
    private func onlyGetOrHead(_ request: Request) -> HTTPSResponse? {
        request.method == .GET || request.method == .HEAD
            ? nil : .text(.methodNotAllowed, "Only GET and HEAD.\n", headers: [("Allow", "GET, HEAD")])
    }

    /// RFC 8461 §3.3: served as `text/plain` on `mta-sts.DOMAIN` for a domain of this server only.
    private func mtaSTSPolicy(host: String) -> HTTPSResponse {
        guard host.hasPrefix("mta-sts."), settings.localDomain(String(host.dropFirst("mta-sts.".count))) != nil else {
            return .text(.notFound, "No MTA-STS policy is published for \(host.isEmpty ? "this host" : host) here.\n")
        }
        return .document("text/plain; charset=utf-8", policy.text)
    }

    /// The domain is the address's (`emailaddress=`), else the host's without `autoconfig.`.
    private func autoconfig(host: String, query: [String: String]) -> HTTPSResponse {
        let domain: String?
        if let text = query["emailaddress"] {
            guard let address = settings.localAddress(text) else { return notLocal(text) }
            domain = address.domain
        } else {
            domain = settings.localDomain(host.hasPrefix("autoconfig.") ? String(host.dropFirst("autoconfig.".count)) : host)
        }
        guard let domain else { return .text(.notFound, "\(host) is not a mail domain of this server.\n") }
        guard settings.hasIncomingAndOutgoing else { return Self.noMailListeners }
        return .document("application/xml; charset=utf-8", ThunderbirdAutoconfig.document(domain: domain, settings: settings))
    }

    private func autodiscover(body: [UInt8]) -> HTTPSResponse {
        let request: AutodiscoverRequest
        do {
            request = try AutodiscoverRequest.parse(body)
        } catch {
            return .text(.badRequest, "Not an Autodiscover request: \(error.description).\n")
        }
        guard let address = settings.localAddress(request.emailAddress) else { return notLocal(request.emailAddress) }
        guard settings.hasIncomingAndOutgoing else { return Self.noMailListeners }
        return .document(
            "application/xml; charset=utf-8", AutodiscoverResponse.document(address: address.canonical, settings: settings))
    }

    private func appleProfile(query: [String: String]) -> HTTPSResponse {
        guard let text = query["emailaddress"] else {
            return .text(.badRequest, "Add ?emailaddress=you@your.domain to the address.\n")
        }
        guard let address = settings.localAddress(text) else { return notLocal(text) }
        guard let profile = AppleMailProfile.document(address: address.canonical, settings: settings) else { return Self.noMailListeners }
        let file = address.domain + ".mobileconfig"
        return .document(AppleMailProfile.contentType, profile, headers: [("Content-Disposition", "attachment; filename=\"\(file)\"")])
    }

    private func notLocal(_ address: String) -> HTTPSResponse {
        .text(.notFound, "\(address) is not an address of a mail domain of this server.\n")
    }

    private static let noMailListeners = HTTPSResponse.text(
        .notFound, "This server has no TLS listener to read mail from or none to send it with; there is nothing to set up.\n")

    /// The host name of a `Host` header or SNI name: lower case, without a port or a trailing dot.
    static func hostName(_ text: String) -> String {
        var name = Substring(text.lowercased())
        if name.hasPrefix("[") {
            name = Substring(name.prefix { $0 != "]" } + "]")  // an IPv6 literal: never a mail domain
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name.removeLast() }
        return String(name)
    }

    /// The path and the decoded query parameters of an origin-form target (RFC 9112 §3.2.1), nil when it is
    /// not one or its percent-encoding is broken.
    static func splitTarget(_ uri: String) -> (path: String, query: [String: String])? {
        guard uri.hasPrefix("/") else { return nil }
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let path = percentDecoded(parts[0]) else { return nil }
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let key = percentDecoded(keyValue[0]), let value = percentDecoded(keyValue.count == 2 ? keyValue[1] : "") else {
                    return nil
                }
                if query[key] == nil { query[key] = value }
            }
        }
        return (path, query)
    }

    /// `%40` → `@`. A `+` stays a `+`: it is common in addresses, and no address has a space.
    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
