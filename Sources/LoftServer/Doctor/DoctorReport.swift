import Config
import DNS
import Foundation
import TLS

/// Everything `loft doctor` found, section by section. Each section carries its own problems (something
/// is broken: exit 1) and warnings (it works, but an admin should act).
public struct DoctorReport: Sendable {
    /// "/etc/loft/loft.toml", or "the demo settings".
    public var settingsSource: String
    public var hostname: String
    public var checkedAt: Date
    /// What `loft serve` would refuse to start on besides certificates: the passwd-file, the aliases file.
    public var startupProblems: [String]
    /// `[tls]` and every `[[tls.sni]]` entry; empty when no listener uses TLS.
    public var certificates: [DoctorCertificate]
    public var listeners: [DoctorListener]
    public var dataDirectory: DoctorDataDirectory
    public var dns: DoctorDNS
    public var outbound: DoctorOutbound

    public var problems: [String] {
        startupProblems + certificates.flatMap(\.problems) + listeners.flatMap(\.problems) + dataDirectory.problems
            + dns.problems + outbound.problems
    }

    public var warnings: [String] {
        certificates.flatMap(\.warnings) + listeners.flatMap(\.warnings) + dataDirectory.warnings + dns.warnings
            + outbound.warnings
    }

    /// 0 when nothing is broken (warnings allowed), 1 otherwise.
    public var exitCode: Int32 { problems.isEmpty ? 0 : 1 }
}

/// One certificate and key pair of the `[tls]` section, read from disk as the server would load it.
public struct DoctorCertificate: Sendable {
    /// nil for `[tls]` itself; the SNI host name for a `[[tls.sni]]` entry.
    public var sniHostname: String?
    public var certificatePath: String
    public var privateKeyPath: String
    /// The certificates in the file, leaf first; empty when it cannot be read.
    public var chain: [TLSCertificateSummary]
    /// Whether the private key belongs to the leaf; nil when the files could not be compared.
    public var keyMatches: Bool?
    /// Whether the leaf covers `hostname` (RFC 6125 §6.4); nil when there is no leaf.
    public var coversHostname: Bool?
    public var problems: [String]
    public var warnings: [String]

    var leaf: TLSCertificateSummary? { chain.first }
}

/// Who holds a listener's port right now.
public enum DoctorPortState: Sendable, Equatable {
    /// Port 0: the kernel picks one at start, so there is nothing to look at.
    case anyFreePort
    /// Nobody listens: Loft is not running (or not with this listener).
    case free
    case servedByLoft(pid: Int32)
    /// Another program listens there: Loft cannot bind it.
    case inUse(program: String, pid: Int32)
    /// Something listens, but its process is not visible to this user (run as root to see it).
    case listeningOwnerHidden

    /// "free", "served by loft (pid 123)", "in use by nginx (pid 9)".
    public var text: String {
        switch self {
        case .anyFreePort: return "port 0 (any free port): not checked"
        case .free: return "free (loft is not running with this listener)"
        case .servedByLoft(let pid): return "served by loft (pid \(pid))"
        case .inUse(let program, let pid): return "in use by \(program) (pid \(pid))"
        case .listeningOwnerHidden: return "in use by a process this user cannot see (run loft doctor as root to name it)"
        }
    }
}

/// One `[[listener]]`: its settings, who holds its port, and the probe made as a client would.
public struct DoctorListener: Sendable {
    public var configuration: ListenerConfiguration
    /// `[tls] min_version` for a TLS listener, nil for `tls = "none"`.
    public var minimumTLSVersion: TLSSettings.MinimumVersion?
    public var port: DoctorPortState
    /// `loft check-tls` against the running listener; nil when nothing listens there.
    public var probe: TLSServiceReport?
    public var problems: [String]
    public var warnings: [String]

    /// "imap 0.0.0.0:993", for messages.
    var label: String { DoctorRules.name(configuration) }
}

/// `data_dir`, checked as the user the server runs as.
public struct DoctorDataDirectory: Sendable {
    public var path: String
    /// The user the check ran as; nil when it could not run as the configured user.
    public var checkedAs: String?
    public var problems: [String]
    public var warnings: [String]
}

/// The `[dns]` resolver: does it validate DNSSEC?
public struct DoctorDNS: Sendable {
    public enum Validation: String, Sendable {
        /// A name under a trust anchor came back secure.
        case validating
        /// There is no trust anchor: nothing can be secure.
        case noTrustAnchor = "no_trust_anchor"
        /// The answer under a trust anchor was not secure (bogus or insecure).
        case failing
        /// The resolver gave no answer (no network, forwarders down).
        case unanswered
    }

    public var forwarders: [String]
    /// The zones the trust anchors are for ("." for the root key).
    public var trustAnchorZones: [String]
    public var validation: Validation
    /// The name asked, and what came back ("secure", "bogus: ...", the error).
    public var probedName: String?
    public var answer: String?
    public var problems: [String]
    public var warnings: [String]
}

/// The `[outbound_tls]` policy table and what contradicts it.
public struct DoctorOutbound: Sendable {
    public var defaultLevel: OutboundTLSSettings.Level
    public var policies: [OutboundTLSSettings.Policy]
    public var problems: [String]
    public var warnings: [String]
}
