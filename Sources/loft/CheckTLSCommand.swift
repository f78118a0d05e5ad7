import ArgumentParser
import Config
import Dispatch
import Foundation
import LoftServer
import Synchronization

/// `loft check-tls`: the manual TLS diagnosis (EHLO, `openssl s_client -starttls`, reading the
/// certificate, asking DNS) in one command, for one service or for a domain's MX hosts.
/// Exit status: 0 all is well, 1 something is broken, 2 a usage error or nothing reachable.
struct CheckTLSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-tls",
        abstract: "Diagnose TLS on a mail server (STARTTLS, certificate, versions) or on a domain's MX hosts (DNSSEC, DANE, MTA-STS, TLS-RPT, the downgrade memory, the queue's plan).",
        discussion: """
            Exit status: 0 when all is well, 1 when something is broken (no TLS, a failed handshake or \
            verification, an expired certificate, a DANE mismatch, an MX host an enforced MTA-STS policy \
            excludes, a STRIPTLS suspect), 2 for a usage error or when nothing could be reached.
            """
    )

    enum ModeFlag: String, EnumerableFlag {
        case starttls, implicit

        static func help(for value: ModeFlag) -> ArgumentHelp? {
            value == .starttls ? "Plaintext greeting, then STARTTLS (STLS for POP3)." : "TLS from the first byte (465, 993, 995)."
        }
    }

    @Argument(help: ArgumentHelp("The service to check: HOST, HOST:PORT or [IPv6]:PORT.", valueName: "host[:port]"))
    var host: String?

    @Option(name: .customLong("protocol"), help: ArgumentHelp("smtp, submission, imap or pop3 (default: from the port).", valueName: "protocol"))
    var serviceProtocol: String?

    @Flag(help: "How TLS starts (default: from the port: 465, 993, 995 implicit, others STARTTLS).")
    var mode: ModeFlag?

    @Option(help: ArgumentHelp("The name the certificate must cover (default: HOST).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM file of CA certificates to trust besides the system's.", valueName: "pem"))
    var caFile: String?

    @Option(name: .customLong("mx"), help: ArgumentHelp("Check the MX hosts of this domain as Loft's queue would, with the [dns] and [outbound_tls] settings, its MTA-STS policy and the queue's downgrade memory.", valueName: "domain"))
    var mxDomain: String?

    @Option(help: ArgumentHelp("Seconds to wait for each reply and for the TLS handshake.", valueName: "seconds"))
    var timeout: Int = 30

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var config: ConfigOption

    func run() throws {
        do {
            try check()
        } catch let usage as TLSCheckUsageError {
            FileHandle.standardError.write(Data("Error: \(usage)\nUsage: loft check-tls HOST[:PORT] [options] | loft check-tls --mx DOMAIN\n".utf8))
            throw ExitCode(2)
        } catch let failure as Failure {
            // An unusable configuration file: nothing was checked.
            FileHandle.standardError.write(Data("Error: \(failure)\n".utf8))
            throw ExitCode(2)
        }
    }

    private func check() throws {
        guard timeout > 0 else { throw TLSCheckUsageError("--timeout must be at least 1 second") }
        let timeouts = TLSCheckTimeouts(reply: .seconds(Int64(timeout)))
        if let mxDomain {
            guard host == nil, serviceProtocol == nil, mode == nil, name == nil, caFile == nil else {
                throw TLSCheckUsageError("--mx takes a domain alone: no HOST, --protocol, --starttls, --implicit, --name or "
                                         + "--ca-file (the CA file is [outbound_tls] ca_file, as for the queue)")
            }
            guard !mxDomain.isEmpty, !mxDomain.contains(" "), !mxDomain.contains("@") else {
                throw TLSCheckUsageError("--mx wants a domain such as example.org, got \"\(mxDomain)\"")
            }
            let configuration = try UserCommand.configuration(config)
            let source = config.path ?? "the demo settings (no --config, no \(ConfigOption.systemPath))"
            let check = MXTLSCheck(domain: mxDomain, configuration: configuration, settingsSource: source, timeouts: timeouts)
            let report = Self.wait { await check.run(on: $0) }
            Output.standard(json ? TLSCheckJSONRenderer.render(report) : TLSCheckTextRenderer.render(report))
            try Self.exit(report.verdict.status)
            return
        }
        guard let host else { throw TLSCheckUsageError("give HOST[:PORT] to check a service, or --mx DOMAIN") }
        var proto: TLSCheckProtocol?
        if let serviceProtocol {
            guard let parsed = TLSCheckProtocol(rawValue: serviceProtocol.lowercased()) else {
                throw TLSCheckUsageError("--protocol must be smtp, submission, imap or pop3, got \"\(serviceProtocol)\"")
            }
            proto = parsed
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw TLSCheckUsageError("--ca-file \(caFile) cannot be read")
        }
        let target = try TLSCheckTarget.parse(
            host, protocol: proto, mode: mode.map { $0 == .implicit ? .implicit : .starttls }, name: name, caFile: caFile)
        let configuration = try UserCommand.configuration(config)
        let check = TLSServiceCheck(target: target, heloName: configuration.hostname, timeouts: timeouts)
        let report = Self.wait { await check.run(on: $0) }
        Output.standard(json ? TLSCheckJSONRenderer.render(report) : TLSCheckTextRenderer.render(report))
        try Self.exit(report.verdict.status)
    }

    private static func exit(_ status: TLSCheckStatus) throws {
        if status.exitCode != 0 { throw ExitCode(status.exitCode) }
    }

    /// Runs the async check on its own runtime and blocks this (main) thread until it is done.
    static func wait<Report: Sendable>(_ body: @escaping @Sendable (TLSCheckRuntime) async -> Report) -> Report {
        let runtime = TLSCheckRuntime()
        defer { runtime.shutdown() }
        let result = Mutex<Report?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let report = await body(runtime)
            result.withLock { $0 = report }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }!
    }
}
