import Foundation
import Testing
import TestSupport
import TLS

/// DKIM keys over OpenSSL: generation, loading, the DNS public key, checked against the openssl tool.
@Suite struct DKIMSigningKeyTests {
    @Test("generate writes a 0600 PEM key that loads as its algorithm, and never overwrites", arguments: DKIMSigningKey.Algorithm.allCases)
    func generate(algorithm: DKIMSigningKey.Algorithm) throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/k.pem"
        try DKIMSigningKey.generate(algorithm, path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(String(decoding: before, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try DKIMSigningKey(path: path).algorithm == algorithm)
        #expect(throws: TLSError.self) { try DKIMSigningKey.generate(algorithm, path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the existing key is untouched")
    }

    @Test("the p= value is what openssl derives: the DER SubjectPublicKeyInfo (RSA), the raw 32 bytes (Ed25519)")
    func publicKeys() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for algorithm in DKIMSigningKey.Algorithm.allCases {
            let path = directory + "/\(algorithm.keyType).pem"
            try DKIMSigningKey.generate(algorithm, path: path)
            let der = try Self.openssl(["pkey", "-in", path, "-pubout", "-outform", "DER"])
            let expected = algorithm == .rsaSHA256 ? der : Array(der.suffix(32))  // Ed25519 SPKI: 12-byte prefix + key
            #expect(try DKIMSigningKey(path: path).publicKeyBase64 == Data(expected).base64EncodedString())
        }
    }

    @Test("RFC 8463 Appendix A's Ed25519 key gives the public key of its DNS record")
    func rfc8463Key() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // PKCS#8 around the RFC's private key (the seed nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=).
        let seed = try #require(Data(base64Encoded: "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="))
        let der = Data([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]) + seed
        let pem = "-----BEGIN PRIVATE KEY-----\n\(der.base64EncodedString())\n-----END PRIVATE KEY-----\n"
        try Data(pem.utf8).write(to: URL(fileURLWithPath: directory + "/rfc.pem"))
        let key = try DKIMSigningKey(path: directory + "/rfc.pem")
        #expect(key.algorithm == .ed25519SHA256)
        #expect(key.publicKeyBase64 == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    }

    @Test("refused: a 1024-bit RSA key, an EC key, a file that is no key, a missing file")
    func refusedKeys() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Self.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", directory + "/small.pem"])
        _ = try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", directory + "/ec.pem"])
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: directory + "/text.pem"))
        for (name, words) in [("small.pem", "1024-bit"), ("ec.pem", "neither"), ("text.pem", "no usable PEM"), ("missing.pem", "does not exist")] {
            let error = #expect(throws: TLSError.self) { try DKIMSigningKey(path: directory + "/" + name) }
            #expect(error?.description.contains(words) == true, "\(String(describing: error))")
            #expect(error?.description.contains(directory + "/" + name) == true)
        }
    }

    @Test("SHA256Hasher matches the known digest of \"abc\" (FIPS 180-2), whole and in pieces")
    func sha256() {
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(SHA256Digest.digest(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined() == expected)
        let hash = SHA256Hasher()
        hash.update(Array("a".utf8))
        hash.update(Array("bc".utf8))
        #expect(hash.finalize().map { String(format: "%02x", $0) }.joined() == expected)
    }

    private static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loft-dkim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func openssl(_ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return Array(data)
    }
}
