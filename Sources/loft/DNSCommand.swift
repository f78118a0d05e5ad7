import ArgumentParser
import Config
import Foundation
import LoftServer

/// `loft dns DOMAIN [--check]`: every DNS record the domain needs for this Loft, in zone-file syntax; with
/// `--check`, each one looked up through the `[dns]` resolver and compared.
struct DNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Print the DNS records a local domain needs (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, TLSA, SRV), or check them.",
        discussion: """
            Without --check: the records in zone-file syntax, each after a comment saying what it is for. \
            With --check: each record looked up through the validating resolver of the [dns] section, and \
            said to be ok, MISSING, DIFFERENT (with what is published and how it differs) or UNKNOWN (the \
            lookup or DNSSEC validation failed), with whether the zone is DNSSEC-signed. Exit status: 0 when \
            every record is published as needed, 1 when one is not, 2 when the check cannot run.
            """
    )

    @Argument(help: "A local domain of this server (`domain` or `[delivery] local_domains`).")
    var domain: String

    @Flag(help: "Look every record up and compare it with what this server needs.")
    var check = false

    @Flag(help: "With --check: print one JSON object instead of text.")
    var json = false

    @OptionGroup var config: ConfigOption

    func validate() throws {
        if json && !check { throw ValidationError("--json goes with --check") }
    }

    func run() throws {
        let configuration = try UserCommand.configuration(config)
        let domain = self.domain.lowercased().hasSuffix(".") ? String(self.domain.lowercased().dropLast()) : self.domain.lowercased()
        guard configuration.delivery.localDomains.contains(domain) else {
            throw Self.cannotCheck("\(domain) is not a local domain of this server (local domains: "
                                   + configuration.delivery.localDomains.joined(separator: ", ") + ")")
        }
        let keys: DNSRecordPlan.Keys
        do {
            keys = try DNSRecordPlan.Keys.load(configuration)
        } catch {
            let demoHint = config.path == nil ? " (the demo makes its certificate at the first `loft serve`)" : ""
            throw Self.cannotCheck("\(error)\(demoHint)")
        }
        let records = DNSRecordPlan.records(for: domain, configuration: configuration, keys: keys)
        guard check else {
            return Output.standard(DNSRecordRenderer.zone(domain: domain, hostname: configuration.hostname, records: records))
        }
        let result: DNSZoneCheck
        do {
            result = try DNSRecordChecker.check(domain: domain, records: records, dns: configuration.dns)
        } catch {
            throw Self.cannotCheck("\(error)")
        }
        Output.standard(json ? DNSRecordRenderer.checkJSON(result) : DNSRecordRenderer.checkText(result))
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }

    /// Says why on standard error and exits 2, which monitoring tells apart from "a record is wrong" (1).
    private static func cannotCheck(_ reason: String) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(reason)\n".utf8))
        return ExitCode(2)
    }
}
