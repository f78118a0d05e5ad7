#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CUnbound

/// A validating stub resolver: one libunbound context, shared by every caller.
///
/// Every lookup BLOCKS the calling thread until libunbound has an answer (or gives up after
/// its own retries), so callers run lookups on a thread pool made for blocking work, never on
/// an event loop or Swift's cooperative pool. Lookups from several threads at once are safe:
/// libunbound serialises access to its shared caches and gives each blocking call its own worker.
///
/// Answers are validated against the configured trust anchors: `.secure`, `.insecure`, or
/// `.bogus(reason:)`. A bogus answer is returned, never thrown away, so the caller can defer.
public final class DNSResolver: Sendable {
    // ub_ctx is documented thread-safe for ub_resolve once finalized (libunbound(3)), and it is
    // finalized in init; nothing changes its settings afterwards.
    nonisolated(unsafe) private let context: OpaquePointer

    public init(configuration: DNSResolverConfiguration) throws {
        guard let context = ub_ctx_create() else {
            throw DNSError.configuration("libunbound could not create a resolver context")
        }
        do {
            try Self.configure(context, configuration)
        } catch {
            ub_ctx_delete(context)
            throw error
        }
        self.context = context
    }

    deinit {
        ub_ctx_delete(context)
    }

    /// MX records of `domain`, ordered by preference, then host (RFC 5321 §5.1).
    public func mx(_ domain: String) throws -> DNSAnswer<MXRecord> {
        var answer = try lookup(domain, type: .mx, parse: RDataParser.mx)
        answer.records.sort { ($0.preference, $0.host) < ($1.preference, $1.host) }
        return answer
    }

    public func ipv4(_ host: String) throws -> DNSAnswer<IPAddress> {
        try lookup(host, type: .a, parse: RDataParser.ipv4)
    }

    public func ipv6(_ host: String) throws -> DNSAnswer<IPAddress> {
        try lookup(host, type: .aaaa, parse: RDataParser.ipv6)
    }

    /// TLSA records at `_port._tcp.host` (RFC 6698 §3, RFC 7672 §2.2).
    public func tlsa(host: String, port: Int) throws -> DNSAnswer<TLSARecord> {
        try lookup("_\(port)._tcp.\(DomainName.normalized(host))", type: .tlsa, parse: RDataParser.tlsa)
    }

    /// SRV records of `name` (`_service._tcp.domain`, RFC 2782), ordered by priority, then weight, port and target.
    public func srv(_ name: String) throws -> DNSAnswer<SRVRecord> {
        var answer = try lookup(name, type: .srv, parse: RDataParser.srv)
        answer.records.sort { ($0.priority, $0.weight, $0.port, $0.target) < ($1.priority, $1.weight, $1.port, $1.target) }
        return answer
    }

    /// TXT records of `name`, each record's character-strings joined (RFC 7208 §3.3).
    public func txt(_ name: String) throws -> DNSAnswer<String> {
        try lookup(name, type: .txt, parse: RDataParser.txt)
    }

    // MARK: - One query

    private enum RecordType: Int32 {
        case a = 1, mx = 15, txt = 16, aaaa = 28, srv = 33, tlsa = 52

        var name: String {
            switch self {
            case .a: return "A"
            case .mx: return "MX"
            case .txt: return "TXT"
            case .aaaa: return "AAAA"
            case .srv: return "SRV"
            case .tlsa: return "TLSA"
            }
        }
    }

    private static let classIN: Int32 = 1

    private func lookup<Record>(_ rawName: String, type: RecordType,
                                parse: ([UInt8]) -> Record?) throws -> DNSAnswer<Record> {
        let name = DomainName.normalized(rawName)
        var resultPointer: UnsafeMutablePointer<ub_result>?
        let code = ub_resolve(context, name.isEmpty ? "." : name, type.rawValue, Self.classIN, &resultPointer)
        defer { if let resultPointer { ub_resolve_free(resultPointer) } }
        guard code == 0, let result = resultPointer?.pointee else {
            throw DNSError.temporary(name: name, type: type.name, reason: Self.errorText(code))
        }

        let status: DNSSECStatus
        if result.bogus != 0 {
            let reason = result.why_bogus.map { String(cString: $0) } ?? "validation failed"
            status = .bogus(reason: reason)
        } else if result.secure != 0 {
            status = .secure
        } else {
            status = .insecure
        }

        // A bogus answer goes back whatever its rcode, so the caller sees why and defers.
        // Otherwise only NOERROR (0) and NXDOMAIN (3) are answers (RFC 1035 §4.1.1).
        let rcode = result.rcode
        if case .bogus = status {} else if rcode != 0 && rcode != 3 {
            throw DNSError.temporary(name: name, type: type.name, reason: Self.rcodeText(rcode))
        }

        var records: [Record] = []
        if result.havedata != 0, let data = result.data, let lengths = result.len {
            var index = 0
            while let rdata = data[index] {
                let length = Int(lengths[index])
                if length >= 0 {
                    let bytes = UnsafeRawBufferPointer(start: rdata, count: length)
                    if let record = parse(Array(bytes)) { records.append(record) }
                }
                index += 1
            }
        }

        return DNSAnswer(
            name: name,
            records: records,
            status: status,
            nameExists: result.nxdomain == 0,
            canonicalName: result.canonname.map { DomainName.normalized(String(cString: $0)) })
    }

    private static func errorText(_ code: Int32) -> String {
        guard let text = ub_strerror(code) else { return "libunbound error \(code)" }
        return String(cString: text)
    }

    private static func rcodeText(_ rcode: Int32) -> String {
        switch rcode {
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        default: return "rcode \(rcode)"
        }
    }

    // MARK: - Setup

    /// Order matters: forwarders and trust anchors first, then the calls that finalize the
    /// context (ub_ctx_zone_add); any setting after that fails with UB_AFTERFINAL.
    private static func configure(_ context: OpaquePointer, _ configuration: DNSResolverConfiguration) throws {
        // Only blocking ub_resolve is used; should anything go async, use a thread, not a fork.
        _ = ub_ctx_async(context, 1)
        // Every query goes to a forwarder, and forwarders are often on loopback (a local
        // validating cache, systemd-resolved, nsd in tests); unbound refuses those by default.
        try check(ub_ctx_set_option(context, "do-not-query-localhost:", "no"), "do-not-query-localhost")

        if configuration.forwarders.isEmpty {
            let code = ub_ctx_resolvconf(context, nil)
            if code != 0 {
                throw DNSError.configuration("cannot use the nameservers of /etc/resolv.conf: \(errorText(code))")
            }
        }
        for forwarder in configuration.forwarders {
            let code = ub_ctx_set_fwd(context, forwarder)
            if code != 0 {
                throw DNSError.configuration(
                    "forwarder \"\(forwarder)\" is not an IP address or address@port (\(errorText(code)))")
            }
        }

        for anchor in configuration.trustAnchors {
            try check(ub_ctx_add_ta(context, anchor), "trust anchor \"\(anchor)\"")
        }
        if let file = configuration.trustAnchorFile {
            // libunbound reads the file only when the context is finalized and then says just
            // "initialization failure": check it here so the error names the file.
            guard access(file, R_OK) == 0 else {
                let reason = String(cString: strerror(errno))
                throw DNSError.configuration("trust anchor file \(file) cannot be read: \(reason)")
            }
            try check(ub_ctx_add_ta_file(context, file), "trust anchor file \(file)")
        }

        // Finalize now, so a bad anchor fails here and not at the first lookup.
        let finalized: Int32
        if let first = configuration.transparentZones.first {
            finalized = ub_ctx_zone_add(context, absolute(first), "transparent")
        } else {
            // Removing a zone that is not there changes nothing; the call finalizes the context.
            finalized = ub_ctx_zone_remove(context, "loft-finalize.invalid.")
        }
        if finalized != 0 {
            throw DNSError.configuration(diagnoseFinalizeFailure(configuration, code: finalized))
        }
        for zone in configuration.transparentZones {
            let code = ub_ctx_zone_add(context, absolute(zone), "transparent")
            if code != 0 {
                throw DNSError.configuration("transparent zone \"\(zone)\": \(errorText(code))")
            }
        }
    }

    private static func check(_ code: Int32, _ what: String) throws {
        if code != 0 {
            throw DNSError.configuration("\(what): \(errorText(code))")
        }
    }

    private static func absolute(_ zone: String) -> String {
        let name = DomainName.normalized(zone)
        return name.isEmpty ? "." : name + "."
    }

    /// libunbound reports a trust anchor it cannot parse only as "initialization failure" when
    /// the context is finalized. Load each anchor alone in a scratch context to name the culprit.
    private static func diagnoseFinalizeFailure(_ configuration: DNSResolverConfiguration, code: Int32) -> String {
        for anchor in configuration.trustAnchors where !loadsAlone({ ub_ctx_add_ta($0, anchor) }) {
            return "trust anchor \"\(anchor)\" is not a valid DS or DNSKEY record"
        }
        if let file = configuration.trustAnchorFile, !loadsAlone({ ub_ctx_add_ta_file($0, file) }) {
            return "trust anchor file \(file) does not hold valid DS or DNSKEY records"
        }
        if let zone = configuration.transparentZones.first {
            return "transparent zone \"\(zone)\": \(errorText(code))"
        }
        return errorText(code)
    }

    private static func loadsAlone(_ add: (OpaquePointer) -> Int32) -> Bool {
        guard let scratch = ub_ctx_create() else { return true }
        defer { ub_ctx_delete(scratch) }
        return add(scratch) == 0 && ub_ctx_zone_remove(scratch, "loft-finalize.invalid.") == 0
    }
}
