import Foundation

/// An independent DKIM verifier: dkimpy (Debian's python3-dkim, with python3-nacl for ed25519-sha256),
/// run by Debian's /usr/bin/python3 with DNS answered from `records`.
public enum DKIMVerifier {
    public struct Verdict: Sendable {
        /// One entry per DKIM-Signature field, top first: whether dkimpy verified it.
        public var signatures: [Bool]
        /// dkimpy's log (why a signature failed).
        public var log: String
    }

    /// Verifies every DKIM-Signature of `message`. `records` maps a TXT owner name
    /// (`sel._domainkey.example.org`, no final dot) to its text, the character-strings joined.
    public static func verify(_ message: [UInt8], records: [String: String]) throws -> Verdict {
        let script = #"""
            import sys, json, logging, io, dkim
            records = json.loads(sys.argv[1])
            message = sys.stdin.buffer.read()
            log = io.StringIO()
            logger = logging.getLogger("dkimpy")
            logger.addHandler(logging.StreamHandler(log))
            logger.setLevel(logging.DEBUG)
            def dnsfunc(name, timeout=5):
                text = records.get(name.decode().rstrip(".").lower())
                return text.encode() if text is not None else None
            verifier = dkim.DKIM(message, logger=logger)
            count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
            results = []
            for index in range(count):
                try:
                    results.append(bool(verifier.verify(idx=index, dnsfunc=dnsfunc)))
                except Exception as error:
                    log.write("signature %d: %r\n" % (index, error))
                    results.append(False)
            print(json.dumps({"signatures": results, "log": log.getvalue()}))
            """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, String(decoding: try JSONSerialization.data(withJSONObject: records), as: UTF8.self)]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(message))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let signatures = object["signatures"] as? [Bool] else {
            throw VerifierFailure(description: "dkimpy failed: \(errorText)")
        }
        return Verdict(signatures: signatures, log: object["log"] as? String ?? "")
    }

    /// The TXT text of a zone-file line `NAME IN TXT "a" "b"`: its character-strings joined.
    public static func txtValue(ofZoneLine line: String) -> String {
        line.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map(\.element).joined()
    }

    struct VerifierFailure: Error, CustomStringConvertible {
        var description: String
    }
}
