import ACME
import Foundation
import TestSupport
import Testing
import TLS

/// base64url, JWK thumbprints and JWS signatures, checked against the RFCs' examples and an independent
/// verifier (Python's `cryptography`).
struct JOSETests {
    @Test("base64url without padding (RFC 7515 appendix C)")
    func base64url() {
        #expect(Base64URL.encode([3, 236, 255, 224, 193]) == "A-z_4ME")
        #expect(Base64URL.decode("A-z_4ME") == [3, 236, 255, 224, 193])
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.encode(Array("{}".utf8)) == "e30")
        #expect(Base64URL.decode("A-z_4ME=") == nil)
        #expect(Base64URL.decode("A+z/4ME") == nil)
        #expect(Base64URL.decode("A") == nil)
    }

    @Test("the JWK thumbprint of RFC 7638 §3.1's example key")
    func thumbprintExample() {
        let jwk = [
            "e": "AQAB", "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        ]
        #expect(JWSSigningKey.thumbprint(jwk: jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test("the acmeIdentifier extension holds a DER OCTET STRING of SHA-256(key authorization) (RFC 8737 §3)")
    func acmeIdentifierValue() {
        let value = TLSALPNChallenges.acmeIdentifierExtensionValue(keyAuthorization: "abc")
        let digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(value.count == 34)
        #expect(value.prefix(2) == [0x04, 0x20])
        #expect(value.dropFirst(2).map { String(format: "%02x", $0) }.joined() == digest)
    }

    @Test("JWS requests verify with an independent implementation", arguments: JWSSigningKey.KeyType.allCases)
    func signatureVerifies(keyType: JWSSigningKey.KeyType) throws {
        let key = try JWSSigningKey.generate(keyType)
        let body = try ACMEJWS.sign(payload: Array(#"{"termsOfServiceAgreed":true}"#.utf8), url: "https://ca.test/acme/new-account",
                                    nonce: "nonce-1", signer: .jwk, key: key)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: String])
        let protectedText = try #require(object["protected"]), payloadText = try #require(object["payload"])
        let protected = try #require(Base64URL.decode(protectedText))
        let header = try #require(try JSONSerialization.jsonObject(with: Data(protected)) as? [String: Any])
        #expect(header["alg"] as? String == (keyType == .ecdsaP256 ? "ES256" : "RS256"))
        #expect(header["url"] as? String == "https://ca.test/acme/new-account")
        #expect(header["nonce"] as? String == "nonce-1")
        #expect(header["kid"] == nil)
        let jwk = try #require(header["jwk"] as? [String: String])
        #expect(Base64URL.decode(payloadText) == Array(#"{"termsOfServiceAgreed":true}"#.utf8))
        let signatureText = try #require(object["signature"])
        let signature = try #require(Base64URL.decode(signatureText))
        #expect(signature.count == (keyType == .ecdsaP256 ? 64 : 256))
        #expect(try pythonVerifies(jwk: jwk, signingInput: "\(protectedText).\(payloadText)", signature: signature))
        // One changed byte of the signing input must fail, so the check above can fail.
        #expect(try !pythonVerifies(jwk: jwk, signingInput: "\(protectedText).x\(payloadText)", signature: signature))
    }

    @Test("POST-as-GET has an empty payload and names the account by kid (RFC 8555 §6.3)")
    func postAsGet() throws {
        let key = try JWSSigningKey.generate(.ecdsaP256)
        let body = try ACMEJWS.sign(payload: nil, url: "https://ca.test/order/1", nonce: "n", signer: .kid("https://ca.test/acct/7"), key: key)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: String])
        #expect(object["payload"] == "")
        let header = try #require(try JSONSerialization.jsonObject(with: Data(Base64URL.decode(object["protected"]!)!)) as? [String: Any])
        #expect(header["kid"] as? String == "https://ca.test/acct/7")
        #expect(header["jwk"] == nil)
    }

    @Test("a key survives its PEM file, with the same thumbprint")
    func keyRoundTrip() throws {
        let key = try JWSSigningKey.generate(.ecdsaP256)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("acme-key-\(UUID().uuidString).pem").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(try key.privateKeyPEM()).write(to: URL(fileURLWithPath: path))
        let loaded = try JWSSigningKey.load(pemFile: path)
        #expect(try loaded.thumbprint() == key.thumbprint())
        #expect(try ACMEJWS.keyAuthorization(token: "tok", key: key) == "tok." + key.thumbprint())
    }

    /// Verifies an ES256/RS256 JWS signature with Python's `cryptography` from the JWK alone.
    private func pythonVerifies(jwk: [String: String], signingInput: String, signature: [UInt8]) throws -> Bool {
        try #require(ProcessSpawnFix.isApplied)
        let script = """
        import base64, json, sys
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        def b64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        jwk, data, sig = json.loads(sys.argv[1]), sys.argv[2].encode(), bytes.fromhex(sys.argv[3])
        try:
            if jwk["kty"] == "EC":
                key = ec.EllipticCurvePublicNumbers(int.from_bytes(b64(jwk["x"]), "big"), int.from_bytes(b64(jwk["y"]), "big"), ec.SECP256R1()).public_key()
                der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
                key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            else:
                key = rsa.RSAPublicNumbers(int.from_bytes(b64(jwk["e"]), "big"), int.from_bytes(b64(jwk["n"]), "big")).public_key()
                key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
            print("valid")
        except Exception as e:
            print("invalid", e)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let jwkText = String(decoding: try JSONSerialization.data(withJSONObject: jwk), as: UTF8.self)
        process.arguments = ["-c", script, jwkText, signingInput, signature.map { String(format: "%02x", $0) }.joined()]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.hasPrefix("valid")
    }
}
