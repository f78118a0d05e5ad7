import ArgumentParser
import Foundation
import LoftServer

/// `loft doctor`: the whole server checked from its configuration, as an admin would by hand:
/// certificates, ports, each running listener probed as a client (`check-tls`), data directory, DNSSEC,
/// the outbound TLS policy. Exit status: 0 nothing is broken (warnings allowed), 1 something is.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configured server: certificates, ports, running listeners (probed as a client), data directory, DNSSEC, outbound TLS policy.",
        discussion: """
            Exit status: 0 when nothing is broken (warnings allowed), 1 when something is: the configuration \
            or a certificate does not load, a port is taken by another program, a running listener fails its \
            probe, data_dir is not writable by the user loft runs as, DNSSEC validation fails. A listener that \
            is not running is a warning, or a problem with --require-running.
            """
    )

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .customLong("require-running"), help: "Count a listener that is not running as a problem.")
    var requireRunning = false

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM file of CA certificates the probes trust besides the system's.", valueName: "pem"))
    var caFile: String?

    @Option(help: ArgumentHelp("Seconds to wait for each reply, TLS handshake and DNS answer.", valueName: "seconds"))
    var timeout: Int = 10

    @OptionGroup var config: ConfigOption

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be at least 1 second") }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("--ca-file \(caFile) cannot be read")
        }
    }

    func run() throws {
        let configuration = try UserCommand.configuration(config)
        if config.path == nil, !FileSystem.exists(configuration.auth.passwdFile) {
            // The demo's certificate and passwd-file appear at its first start: nothing to check before.
            return Output.standard("No config file, and no demo in ./loft-data yet: `loft serve` sets the demo up there at its "
                                   + "first start; run loft doctor after that, or pass --config FILE.\n")
        }
        let source = config.path ?? "the demo settings (no --config, no \(ConfigOption.systemPath))"
        let check = DoctorCheck(
            configuration: configuration, settingsSource: source, caFile: caFile, requireRunning: requireRunning,
            timeouts: TLSCheckTimeouts(connect: .seconds(Int64(timeout)), reply: .seconds(Int64(timeout))))
        let report = CheckTLSCommand.wait { await check.run(on: $0) }
        Output.standard(json ? DoctorJSONRenderer.render(report) : DoctorTextRenderer.render(report))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
