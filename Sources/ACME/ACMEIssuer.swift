import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import TLS

/// A certificate chain and its private key, both PEM.
public struct ACMEIssuedCertificate: Sendable, Equatable {
    public var chainPEM: [UInt8]
    public var privateKeyPEM: [UInt8]

    public init(chainPEM: [UInt8], privateKeyPEM: [UInt8]) {
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}

/// What to ask a CA for and how (`[tls.acme]`).
public struct ACMEOrderRequest: Sendable, Equatable {
    public var directoryURL: String
    public var contact: [String]
    public var names: [String]
    public var keyType: JWSSigningKey.KeyType

    public init(directoryURL: String, contact: [String], names: [String], keyType: JWSSigningKey.KeyType) {
        self.directoryURL = directoryURL
        self.contact = contact
        self.names = names
        self.keyType = keyType
    }
}

/// Obtains one certificate from an RFC 8555 CA: directory → nonce → account → order → authorizations
/// (answered through `responder`) → finalize with a CSR → poll → download the chain.
public struct ACMEIssuer: Sendable {
    let http: ACMEHTTPClient
    let threadPool: NIOThreadPool
    let logger: Logger
    /// The longest wait for one authorization or the order, polling included.
    let pollingLimit: Duration

    public init(http: ACMEHTTPClient, threadPool: NIOThreadPool, logger: Logger, pollingLimit: Duration = .seconds(300)) {
        self.http = http
        self.threadPool = threadPool
        self.logger = logger
        self.pollingLimit = pollingLimit
    }

    /// Runs the whole issuance. The agreement to the CA's terms is the admin's (`terms_agreed`).
    /// - Throws: `ACMEError`; `TLSError` when a key or the CSR cannot be made.
    public func issue(_ request: ACMEOrderRequest, accountKey: JWSSigningKey,
                      responder: any ACMEChallengeResponder) async throws -> ACMEIssuedCertificate {
        var session = ACMESession(http: http, accountKey: accountKey)
        let directory: ACMEDirectory = try Self.decode(try await session.get(request.directoryURL), "directory")
        session.newNonceURL = directory.newNonce

        // RFC 8555 §7.3: for a key that already has an account the CA answers 200 with the same URL.
        struct NewAccount: Encodable { var termsOfServiceAgreed = true; var contact: [String] }
        let account = try await session.post(directory.newAccount, payload: try Self.encode(NewAccount(contact: request.contact)),
                                              signer: .jwk)
        guard let accountURL = account.header("Location") else { throw ACMEError.invalidResponse("newAccount without Location") }
        session.accountURL = accountURL
        if account.status == 201 {
            logger.notice("ACME account created (terms_agreed = true)", metadata: [
                "account": "\(accountURL)", "terms": "\(directory.meta?.termsOfService ?? "none given")"])
        }

        struct NewOrder: Encodable { var identifiers: [ACMEIdentifier] }
        let created = try await session.post(directory.newOrder,
                                             payload: try Self.encode(NewOrder(identifiers: request.names.map(ACMEIdentifier.dns))))
        guard let orderURL = created.header("Location") else { throw ACMEError.invalidResponse("newOrder without Location") }
        var order: ACMEOrder = try Self.decode(created, "order")
        logger.info("ACME order created", metadata: ["order": "\(orderURL)", "names": "\(request.names.joined(separator: " "))"])

        for authorizationURL in order.authorizations {
            try await authorize(authorizationURL, session: &session, responder: responder)
        }

        // RFC 8555 §7.4: finalize once the order is "ready" (the CA may take a moment after the last authorization).
        order = try await poll(orderURL, session: &session, what: "the order for \(request.names.joined(separator: ", "))",
                               first: order.status == "pending" ? nil : order, isPending: { $0.status == "pending" })
        let certificateKey = try await threadPool.runIfActive { try JWSSigningKey.generate(request.keyType) }
        let csr = try await threadPool.runIfActive { try CertificateSigningRequest.der(names: request.names, key: certificateKey) }
        struct Finalize: Encodable { var csr: String }
        order = try Self.decode(try await session.post(order.finalize, payload: try Self.encode(Finalize(csr: Base64URL.encode(csr)))),
                                "order")
        order = try await poll(orderURL, session: &session, what: "the order for \(request.names.joined(separator: ", "))",
                               first: order, isPending: { ["pending", "ready", "processing"].contains($0.status) })
        guard order.status == "valid", let certificateURL = order.certificate else {
            throw ACMEError.failed("the order ended \(order.status)" + (order.error.map { ": \($0)" } ?? ""))
        }
        let chain = try await session.post(certificateURL, payload: nil, accept: "application/pem-certificate-chain")
        guard String(decoding: chain.body, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw ACMEError.invalidResponse("the certificate download is not a PEM chain")
        }
        return ACMEIssuedCertificate(chainPEM: chain.body, privateKeyPEM: try certificateKey.privateKeyPEM())
    }

    /// Answers one authorization (RFC 8555 §7.5) with the responder's challenge type and waits for it.
    private func authorize(_ url: String, session: inout ACMESession, responder: any ACMEChallengeResponder) async throws {
        let authorization: ACMEAuthorization = try Self.decode(try await session.post(url, payload: nil), "authorization")
        let name = authorization.identifier.value
        if authorization.status == "valid" { return }  // authorization reuse (RFC 8555 §7.1.4)
        guard authorization.status == "pending" else {
            throw ACMEError.failed("the authorization for \(name) is \(authorization.status)")
        }
        guard let challenge = authorization.challenges.first(where: { $0.type == responder.type.rawValue }),
              let token = challenge.token else {
            let offered = authorization.challenges.map(\.type).joined(separator: ", ")
            throw ACMEError.failed("the CA offers no \(responder.type.rawValue) challenge for \(name) (it offers \(offered))")
        }
        // RFC 8555 §8.1: the token is base64url; anything else could reach into the HTTP path.
        guard token.count >= 16, Base64URL.decode(token) != nil else {
            throw ACMEError.invalidResponse("challenge token \"\(token.prefix(64))\" is not base64url")
        }
        let keyAuthorization = try ACMEJWS.keyAuthorization(token: token, key: session.accountKey)
        try await threadPool.runIfActive { try responder.present(name: name, token: token, keyAuthorization: keyAuthorization) }
        defer { responder.withdraw(name: name, token: token) }
        logger.info("ACME challenge ready", metadata: ["name": "\(name)", "challenge": "\(responder.type.rawValue)"])
        // RFC 8555 §7.5.1: an empty object tells the CA to validate.
        _ = try await session.post(challenge.url, payload: Array("{}".utf8))
        let final: ACMEAuthorization = try await poll(url, session: &session, what: "the authorization for \(name)",
                                                      first: nil, isPending: { $0.status == "pending" })
        guard final.status == "valid" else {
            let reason = final.challenges.first(where: { $0.type == responder.type.rawValue })?.error.map { ": \($0)" } ?? ""
            throw ACMEError.failed("the CA did not validate \(name) (\(final.status))\(reason)")
        }
        logger.info("ACME authorization valid", metadata: ["name": "\(name)"])
    }

    /// POST-as-GETs `url` until `isPending` is false, waiting 1 s doubling to 16 s or the CA's Retry-After
    /// (RFC 8555 §7.5.1, capped at a minute), for at most `pollingLimit`.
    private func poll<Resource: Decodable>(_ url: String, session: inout ACMESession, what: String, first: Resource?,
                                           isPending: (Resource) -> Bool) async throws -> Resource {
        let clock = ContinuousClock()
        let deadline = clock.now + pollingLimit
        var delay = Duration.seconds(1)
        var current = first
        var retryAfter: Duration?
        while true {
            if let current, !isPending(current) { return current }
            if current != nil {
                guard clock.now < deadline else { throw ACMEError.failed("\(what) is still pending after \(pollingLimit)") }
                try await Task.sleep(for: min(retryAfter ?? delay, .seconds(60)))
                delay = min(delay * 2, .seconds(16))
            }
            let response = try await session.post(url, payload: nil)
            retryAfter = response.header("Retry-After").flatMap { Int($0) }.map { Duration.seconds($0) }
            current = try Self.decode(response, what)
        }
    }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<Resource: Decodable>(_ response: ACMEHTTPResponse, _ what: String) throws -> Resource {
        do {
            return try JSONDecoder().decode(Resource.self, from: Data(response.body))
        } catch {
            throw ACMEError.invalidResponse("\(what): \(error)")
        }
    }
}

/// The state of one conversation with the CA: the account key and URL, and the next nonce.
struct ACMESession {
    /// How often a request refused with badNonce is sent again with the fresh nonce (RFC 8555 §6.5).
    static let badNonceRetries = 3

    let http: ACMEHTTPClient
    let accountKey: JWSSigningKey
    var newNonceURL = ""
    var accountURL: String?
    private var nonce: String?

    init(http: ACMEHTTPClient, accountKey: JWSSigningKey) {
        self.http = http
        self.accountKey = accountKey
    }

    mutating func get(_ url: String) async throws -> ACMEHTTPResponse {
        try Self.checked(try await http.send(.GET, url), url: url)
    }

    /// A signed POST (`payload` nil: POST-as-GET), retried on badNonce.
    mutating func post(_ url: String, payload: [UInt8]?, signer: ACMEJWS.Signer? = nil,
                       accept: String = "application/json") async throws -> ACMEHTTPResponse {
        guard let signer = signer ?? accountURL.map(ACMEJWS.Signer.kid) else {
            throw ACMEError.invalidResponse("no account URL for a signed request")
        }
        var attempt = 0
        while true {
            let body = try ACMEJWS.sign(payload: payload, url: url, nonce: try await takeNonce(), signer: signer, key: accountKey)
            let response = try await http.send(.POST, url, body: body, contentType: "application/jose+json", accept: accept)
            nonce = response.header("Replay-Nonce")
            do {
                return try Self.checked(response, url: url)
            } catch ACMEError.problem(let problem, _, _) where problem.type == ACMEProblem.badNonce && attempt < Self.badNonceRetries {
                attempt += 1
            }
        }
    }

    private mutating func takeNonce() async throws -> String {
        if let nonce {
            self.nonce = nil
            return nonce
        }
        // RFC 8555 §7.2: GET newNonce answers 204 with a Replay-Nonce.
        let response = try await http.send(.GET, newNonceURL)
        guard (200...299).contains(response.status), let fresh = response.header("Replay-Nonce") else {
            throw ACMEError.invalidResponse("newNonce answered HTTP \(response.status) without a Replay-Nonce")
        }
        return fresh
    }

    /// The response if it is a success; a problem document (or the bare status) as an error otherwise.
    static func checked(_ response: ACMEHTTPResponse, url: String) throws -> ACMEHTTPResponse {
        if (200...299).contains(response.status) { return response }
        let problem = (try? JSONDecoder().decode(ACMEProblem.self, from: Data(response.body)))
            ?? ACMEProblem(type: "about:blank", detail: String(decoding: response.body.prefix(200), as: UTF8.self))
        throw ACMEError.problem(problem, status: response.status, url: url)
    }
}
