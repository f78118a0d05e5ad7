import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One zone for `TestDNSServer`.
public struct TestDNSZone: Sendable {
    /// The zone's name, with or without the trailing dot ("example.test").
    public var origin: String
    /// Zone-file lines, relative to the origin ("mx1 IN A 192.0.2.1", "@ IN MX 10 mx1") or
    /// absolute ("mx2.example.test. IN A 192.0.2.2"). The server writes SOA and NS itself.
    public var records: [String]
    /// Signed with a fresh ECDSA P-256 key (ldns-signzone, NSEC); its DS is in `trustAnchors()`.
    public var signed: Bool
    /// Signed, then every RRSIG except those over the DNSKEY set altered, so the keys still
    /// match the DS but no data validates: a validator calls every answer from it bogus.
    public var corruptSignatures: Bool

    public init(origin: String, records: [String], signed: Bool = true, corruptSignatures: Bool = false) {
        self.origin = origin
        self.records = records
        self.signed = signed
        self.corruptSignatures = corruptSignatures
    }

    /// The origin without the trailing dot, lowercased.
    var name: String {
        let lowered = origin.lowercased()
        return lowered.hasSuffix(".") ? String(lowered.dropLast()) : lowered
    }
}

/// A real authoritative DNS server for tests: nsd (Debian `nsd`) on 127.0.0.1, serving zones
/// signed with ldns-keygen and ldns-signzone (Debian `ldnsutils`). Everything lives in a
/// temporary directory that `stop()` removes, and `stop()` ends nsd by its PID; call it in a
/// `defer` so a failing test does not leave nsd behind (deinit stops it too).
///
/// Names under "test." (RFC 6761) are local zones in libunbound by default: a resolver must list
/// them as transparent zones to reach this server.
public final class TestDNSServer: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let port: Int
    /// The address for a resolver's forwarder list.
    public var forwarder: String { "127.0.0.1@\(port)" }

    private let lock = NSLock()
    private let files: ZoneFiles
    private var process: ChildProcess?

    public init(zones: [TestDNSZone], port: Int? = nil) throws {
        let files = try ZoneFiles()
        do {
            for zone in zones { try files.write(zone) }
            // A port picked by binding port 0 may be taken before nsd binds it: try a few.
            var lastFailure: (any Error)?
            var started: (port: Int, process: ChildProcess)?
            for _ in 0..<(port == nil ? 5 : 1) {
                let candidate = try port ?? FreePort.loopback(udp: true)
                do {
                    started = (candidate, try Self.startNSD(files: files, port: candidate))
                    break
                } catch {
                    lastFailure = error
                }
            }
            guard let started else { throw lastFailure ?? Failure(description: "nsd did not start") }
            self.files = files
            self.port = started.port
            self.process = started.process
        } catch {
            files.remove()
            throw error
        }
    }

    deinit {
        stop()
    }

    /// The DS record (zone-file text) of every signed zone.
    public func trustAnchors() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return files.dsRecords()
    }

    /// Rewrites (and re-signs, with the same key) one zone and waits until nsd serves it.
    /// The zone must have been given to `init`.
    public func replace(zone: TestDNSZone) throws {
        lock.lock()
        defer { lock.unlock() }
        guard files.serves(zone.name), let process, process.isRunning else {
            throw Failure(description: "replace(zone:): \(zone.name) is not served by this running server")
        }
        try files.write(zone)
        // nsd rereads changed zone files on SIGHUP; send it again in case a reload raced the write.
        let deadline = Date().addingTimeInterval(5)
        repeat {
            process.signal(SIGHUP)
            if try Self.waitUntilServed([zone.name], files: files, process: process, port: port,
                                        deadline: Date().addingTimeInterval(1)) {
                return
            }
        } while Date() < deadline
        throw Failure(description: "nsd did not reload \(zone.name): \(files.logTail())")
    }

    /// Ends nsd (SIGTERM, then SIGKILL after two seconds) and removes the directory. Idempotent.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        if let process {
            process.end()
            self.process = nil
        }
        files.remove()
    }

    // MARK: - nsd

    private static func startNSD(files: ZoneFiles, port: Int) throws -> ChildProcess {
        let directory = files.directory.path
        let config = """
            server:
              ip-address: 127.0.0.1
              port: \(port)
              username: ""
              chroot: ""
              database: ""
              zonesdir: "\(directory)"
              pidfile: "\(directory)/nsd.pid"
              zonelistfile: "\(directory)/zone.list"
              xfrdfile: "\(directory)/xfrd.state"
              xfrdir: "\(directory)"
              logfile: "\(directory)/nsd.log"
              server-count: 1
              verbosity: 1
            remote-control:
              control-enable: no

            """ + files.zoneNames.map { "zone:\n  name: \"\($0)\"\n  zonefile: \"\(files.servedFileName($0))\"\n" }
            .joined()
        let configFile = files.directory.appendingPathComponent("nsd.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)

        let process = try ChildProcess(executable: "/usr/sbin/nsd", arguments: ["-d", "-c", configFile.path])
        do {
            guard try waitUntilServed(files.zoneNames, files: files, process: process, port: port,
                                      deadline: Date().addingTimeInterval(10)) else {
                throw Failure(description: "nsd on port \(port) did not answer: \(files.logTail())")
            }
        } catch {
            process.end()
            throw error
        }
        return process
    }

    /// Polls with drill until each zone answers its SOA with its current serial. False at the
    /// deadline; throws when nsd has exited.
    private static func waitUntilServed(_ zones: [String], files: ZoneFiles, process: ChildProcess, port: Int,
                                        deadline: Date) throws -> Bool {
        var pending = zones
        while Date() < deadline {
            guard process.isRunning else {
                throw Failure(description: "nsd exited: \(files.logTail())")
            }
            pending = pending.filter { files.serial(of: $0) != servedSerial(of: $0, port: port, files: files) }
            if pending.isEmpty { return true }
            usleep(20_000)
        }
        return false
    }

    /// Over TCP: a refused connection fails at once, where a UDP query to a port nsd has not bound
    /// yet waits out drill's 5 s timeout. nsd opens its UDP and TCP sockets together.
    private static func servedSerial(of zone: String, port: Int, files: ZoneFiles) -> Int? {
        guard let output = try? files.run("/usr/bin/drill", ["-t", "-p", String(port), "@127.0.0.1", zone + ".", "SOA"]),
              output.contains("rcode: NOERROR")
        else { return nil }
        for line in output.split(separator: "\n") {
            // example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 7 3600 600 86400 300
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 11 && fields[3] == "SOA" { return Int(fields[6]) }
        }
        return nil
    }
}

/// The temporary directory of a `TestDNSServer`: zone files, keys, nsd's config and log.
private final class ZoneFiles {
    let directory: URL
    private(set) var zoneNames: [String] = []
    private var serials: [String: Int] = [:]
    /// Key file base names ("Kexample.test.+013+12345") of the signed zones, kept across
    /// rewrites so the trust anchors stay valid.
    private var keys: [String: String] = [:]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loft-dns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func serves(_ zone: String) -> Bool { serials[zone] != nil }

    func serial(of zone: String) -> Int? { serials[zone] }

    func servedFileName(_ zone: String) -> String { zone + ".served" }

    /// Writes the zone (a new SOA serial each time), signed or not, as nsd will serve it.
    func write(_ zone: TestDNSZone) throws {
        let name = zone.name
        let origin = name + "."
        let serial = (serials[name] ?? 0) + 1
        var lines = [
            "$ORIGIN \(origin)",
            "$TTL 300",
            "@ IN SOA ns.\(origin) hostmaster.\(origin) \(serial) 3600 600 86400 300",
            "@ IN NS ns.\(origin)",
        ]
        lines += zone.records
        let file = directory.appendingPathComponent(name + ".zone")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

        let served = directory.appendingPathComponent(servedFileName(name))
        try? FileManager.default.removeItem(at: served)
        if zone.signed || zone.corruptSignatures {
            let key: String
            if let existing = keys[name] {
                key = existing
            } else {
                key = try run("/usr/bin/ldns-keygen", ["-a", "ECDSAP256SHA256", "-k", origin])
                keys[name] = key
            }
            _ = try run("/usr/bin/ldns-signzone", ["-f", served.path, file.path, key])
            if zone.corruptSignatures {
                let text = try String(contentsOf: served, encoding: .utf8)
                let corrupted = text.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { Self.corruptingSignature(String($0)) }
                try corrupted.joined(separator: "\n").write(to: served, atomically: true, encoding: .utf8)
            }
        } else {
            try FileManager.default.copyItem(at: file, to: served)
        }

        if serials[name] == nil { zoneNames.append(name) }
        serials[name] = serial
    }

    /// For an RRSIG line not covering DNSKEY: the same line with one base64 character of the
    /// signature changed. Any other line unchanged.
    private static func corruptingSignature(_ line: String) -> String {
        var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count > 5, fields[3] == "RRSIG", fields[4] != "DNSKEY" else { return line }
        var signature = Array(fields[fields.count - 1])
        let middle = signature.count / 2
        signature[middle] = signature[middle] == "A" ? "B" : "A"
        fields[fields.count - 1] = String(signature)
        return fields.joined(separator: " ")
    }

    func dsRecords() -> [String] {
        zoneNames.compactMap { name -> String? in
            guard let key = keys[name],
                  let text = try? String(contentsOf: directory.appendingPathComponent(key + ".ds"), encoding: .utf8)
            else { return nil }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    func logTail() -> String {
        let log = (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(5).joined(separator: " | ")
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a tool in the directory; its trimmed stdout.
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorData, as: UTF8.self)
            throw TestDNSServer.Failure(
                description: "\(executable) \(arguments.joined(separator: " ")) failed: \(message)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
