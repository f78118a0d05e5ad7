import Foundation
public import TLS

/// Flattened JWS JSON serialization of ACME requests (RFC 8555 §6.2, RFC 7515 §7.2.2).
public enum ACMEJWS {
    /// Who signs: a new account shows its public key (`jwk`), a known account its URL (`kid`).
    public enum Signer: Sendable {
        case jwk
        case kid(String)
    }

    struct ProtectedHeader: Encodable {
        var alg: String
        var nonce: String
        var url: String
        var jwk: [String: String]?
        var kid: String?
    }

    struct Body: Encodable {
        var protected: String
        var payload: String
        var signature: String
    }

    /// The request body for `url`. `payload` nil is a POST-as-GET (RFC 8555 §6.3: the empty string).
    public static func sign(payload: [UInt8]?, url: String, nonce: String, signer: Signer,
                            key: JWSSigningKey) throws -> [UInt8] {
        var header = ProtectedHeader(alg: key.algorithm, nonce: nonce, url: url)
        switch signer {
        case .jwk: header.jwk = try key.publicJWK()
        case .kid(let account): header.kid = account
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let protected = Base64URL.encode(try encoder.encode(header))
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let signature = try key.sign(Array("\(protected).\(encodedPayload)".utf8))
        return Array(try encoder.encode(Body(protected: protected, payload: encodedPayload,
                                             signature: Base64URL.encode(signature))))
    }

    /// The key authorization of a challenge token (RFC 8555 §8.1): token "." base64url(JWK thumbprint).
    public static func keyAuthorization(token: String, key: JWSSigningKey) throws -> String {
        token + "." + (try key.thumbprint())
    }
}
