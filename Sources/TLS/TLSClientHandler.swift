import Foundation
import NIOCore
internal import COpenSSL

/// Client-side TLS for one outbound connection: OpenSSL over two memory BIOs, as a NIO duplex
/// handler, with SNI, ALPN, PKIX name checks and DANE (RFC 7672).
///
/// Put it first in the pipeline: as the first handler of a fresh connection (implicit TLS,
/// e.g. 465), or inserted with `pipeline.syncOperations.addHandler(handler, position: .first)`
/// into an active channel after the server's go-ahead to STARTTLS. The ClientHello goes out as
/// soon as the channel is active (or at once when inserted into an active channel).
///
/// The certificate never fails the handshake: OpenSSL verifies the chain against the context's
/// trust store, the reference names and the TLSA records of `expectation`, and the outcome is
/// reported in `TLSClientSessionInfo.verification`. Opportunistic TLS thus encrypts even to a
/// self-signed server, and the caller's policy decides what to accept.
///
/// Otherwise the contract is `TLSServerHandler`'s: writes and flushes before the handshake are
/// held and sent in order after it; `TLSClientHandshakeCompleted` is fired when it completes
/// (and `sessionInfo` set); a fatal TLS error (e.g. the server's protocol version is below the
/// minimum) sends OpenSSL's alert, fires `TLSError` through `fireErrorCaught` and closes;
/// `close` sends close_notify; EOF without close_notify fires `TLSError.uncleanShutdown`.
/// Not Sendable: use it only on its channel's event loop.
public final class TLSClientHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The negotiated session and the verification outcome, once the handshake has completed.
    public private(set) var sessionInfo: TLSClientSessionInfo?

    private let tlsContext: TLSClientContext
    private let expectation: TLSPeerExpectation
    /// The ALPN offer in wire form (RFC 7301 section 3.1: length-prefixed ids), or empty.
    private let alpnOffer: [UInt8]
    private let alpnProblem: String?
    private let engine: TLSConnectionEngine
    /// How many TLSA records OpenSSL accepted for the current `SSL*`.
    private var usableTLSARecords = 0
    /// The first certificate error OpenSSL reported and its chain depth, for the failure text.
    fileprivate var firstVerifyFailure: (code: Int, depth: Int)?

    /// - Parameters:
    ///   - context: the shared client context.
    ///   - expectation: SNI, reference names and TLSA records for this server.
    ///   - applicationProtocols: ALPN ids to offer, in preference order (none by default).
    ///   - closeTimeout: how long `close` waits for the close_notify to be written.
    public init(context: TLSClientContext, expectation: TLSPeerExpectation, applicationProtocols: [String] = [],
                closeTimeout: TimeAmount = .seconds(2)) {
        self.tlsContext = context
        self.expectation = expectation
        var offer: [UInt8] = []
        var problem: String?
        for id in applicationProtocols {
            let bytes = Array(id.utf8)
            guard (1...255).contains(bytes.count) else {
                problem = "ALPN protocol id \"\(id)\" must be 1 to 255 bytes long"
                break
            }
            offer += [UInt8(bytes.count)] + bytes
        }
        self.alpnOffer = offer
        self.alpnProblem = problem
        self.engine = TLSConnectionEngine(closeTimeout: closeTimeout)
        engine.delegate = self
    }

    public func handlerAdded(context: ChannelHandlerContext) { engine.handlerAdded(context: context) }
    public func handlerRemoved(context: ChannelHandlerContext) { engine.handlerRemoved(context: context) }
    public func channelActive(context: ChannelHandlerContext) { engine.channelActive(context: context) }
    public func channelInactive(context: ChannelHandlerContext) { engine.channelInactive(context: context) }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        engine.channelRead(context: context, ciphertext: unwrapInboundIn(data))
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        engine.write(context: context, plaintext: unwrapOutboundIn(data), promise: promise)
    }

    public func flush(context: ChannelHandlerContext) { engine.flush(context: context) }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        engine.close(context: context, mode: mode, promise: promise)
    }
}

extension TLSClientHandler: TLSConnectionEngineDelegate {
    func makeSSL() throws(TLSError) -> OpaquePointer {
        if let alpnProblem { throw TLSError(kind: .invalidConfiguration, message: alpnProblem) }
        let records = expectation.tlsa.filter(\.isUsableForSMTP)
        if !expectation.tlsa.isEmpty {
            guard let baseDomain = expectation.daneBaseDomain, !baseDomain.isEmpty else {
                throw TLSError(kind: .invalidConfiguration, message: "TLSA records given without a DANE base domain")
            }
            if !records.isEmpty {
                let ssl = try makeConfiguredSSL(dane: (baseDomain, records))
                if usableTLSARecords > 0 { return ssl }
                // OpenSSL found none of them usable after all: then this is a plain PKIX
                // connection, without the base domain as an extra reference name.
                SSL_free(ssl)
            }
        }
        return try makeConfiguredSSL(dane: nil)
    }

    func handshakeCompleted(ssl: OpaquePointer) -> (any Sendable)? {
        let chain = Self.peerChain(of: ssl)
        let version = String(cString: SSL_get_version(ssl))
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "unknown"
        var alpn: UnsafePointer<UInt8>?
        var alpnLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpn, &alpnLength)
        let applicationProtocol = alpn.map {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLength)), as: UTF8.self)
        }
        let info = TLSClientSessionInfo(
            protocolVersion: version, cipher: cipher, peerChain: chain,
            verification: chain.isEmpty ? .failed(reason: "the server sent no certificate") : verification(of: ssl),
            usableTLSARecords: usableTLSARecords, applicationProtocol: applicationProtocol)
        sessionInfo = info
        return TLSClientHandshakeCompleted(info: info)
    }

    // MARK: Setting up a connection

    private func makeConfiguredSSL(dane: (baseDomain: String, records: [TLSAData])?) throws(TLSError) -> OpaquePointer {
        guard let ssl = tlsContext.makeSSL() else { throw TLSError.fromOpenSSL(.openSSLFailure, "SSL_new failed") }
        do {
            try configure(ssl, dane: dane)
        } catch {
            SSL_free(ssl)
            throw error
        }
        return ssl
    }

    private func configure(_ ssl: OpaquePointer, dane: (baseDomain: String, records: [TLSAData])?) throws(TLSError) {
        SSL_set_connect_state(ssl)
        usableTLSARecords = 0
        firstVerifyFailure = nil
        ERR_clear_error()
        if let serverName = expectation.serverName, !serverName.isEmpty, !Self.isIPAddress(serverName) {
            guard cssl_set_tlsext_host_name(ssl, serverName) == 1 else {
                throw TLSError.fromOpenSSL(.invalidConfiguration, "unusable SNI name \"\(serverName)\"")
            }
        }
        if !alpnOffer.isEmpty {
            // SSL_set_alpn_protos returns 0 on success.
            guard SSL_set_alpn_protos(ssl, alpnOffer, UInt32(alpnOffer.count)) == 0 else {
                throw TLSError.fromOpenSSL(.openSSLFailure, "cannot set the ALPN offer")
            }
        }
        if let dane {
            // Sequence from SSL_CTX_dane_enable(3). The base domain becomes the first reference
            // name, and the SNI name when none was set above (RFC 7672 section 8.1).
            guard SSL_dane_enable(ssl, dane.baseDomain) > 0 else {
                throw TLSError.fromOpenSSL(.invalidConfiguration, "cannot enable DANE for \"\(dane.baseDomain)\"")
            }
            // DANE-EE(3) matches the key alone: no name checks (RFC 7672 section 3.1.1).
            _ = SSL_dane_set_flags(ssl, cssl_DANE_FLAG_NO_DANE_EE_NAMECHECKS())
            for record in dane.records {
                let added = record.data.withUnsafeBufferPointer { data in
                    SSL_dane_tlsa_add(ssl, record.usage, record.selector, record.matchingType, data.baseAddress, data.count)
                }
                // > 0 usable, 0 unusable (skipped), < 0 an error for this record only.
                if added > 0 { usableTLSARecords += 1 }
            }
            ERR_clear_error()
        }
        for (index, name) in expectation.referenceNames.enumerated() {
            // SSL_set1_host replaces the list (only for the first name, and never after
            // SSL_dane_enable, which put the base domain in it); IP literals become the IP check.
            let ok = index == 0 && dane == nil ? SSL_set1_host(ssl, name) : SSL_add1_host(ssl, name)
            guard ok == 1 else {
                throw TLSError.fromOpenSSL(.invalidConfiguration, "unusable reference name \"\(name)\"")
            }
        }
        // A wildcard matches one whole left-most label only (RFC 6125 section 6.4.3).
        SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        // A per-certificate callback only records the first failure's depth; it returns OpenSSL's
        // own verdict unchanged, so verification (DANE included) behaves exactly as without it.
        guard SSL_set_ex_data(ssl, Self.exDataIndex, Unmanaged.passUnretained(self).toOpaque()) == 1 else {
            throw TLSError.fromOpenSSL(.openSSLFailure, "SSL_set_ex_data failed")
        }
        SSL_set_verify(ssl, SSL_VERIFY_NONE) { preverifyOK, store in
            if preverifyOK == 0, let store,
               let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
               let handler = SSL_get_ex_data(OpaquePointer(ssl), TLSClientHandler.exDataIndex) {
                let client = Unmanaged<TLSClientHandler>.fromOpaque(handler).takeUnretainedValue()
                if client.firstVerifyFailure == nil {
                    client.firstVerifyFailure = (Int(X509_STORE_CTX_get_error(store)),
                                                 Int(X509_STORE_CTX_get_error_depth(store)))
                }
            }
            return preverifyOK
        }
    }

    /// The `SSL` ex-data slot holding the (unretained) handler; the handler owns the `SSL`
    /// through its engine, so it outlives every callback.
    private static let exDataIndex: Int32 = cssl_SSL_get_ex_new_index()

    // MARK: After the handshake

    private func verification(of ssl: OpaquePointer) -> TLSPeerVerification {
        let code = SSL_get_verify_result(ssl)
        guard code == X509_V_OK else {
            let text = X509_verify_cert_error_string(code).map { String(cString: $0) } ?? "verify error \(code)"
            guard let failure = firstVerifyFailure, failure.code == code else { return .failed(reason: text) }
            return .failed(reason: "\(text) (depth \(failure.depth))")
        }
        guard usableTLSARecords > 0 else {
            return .verified(matchedName: matchedReferenceName(ssl, candidates: expectation.referenceNames))
        }
        let depth = SSL_get0_dane_authority(ssl, nil, nil)
        // With usable TLSA records OpenSSL accepts a chain only through one of them.
        guard depth >= 0 else { return .failed(reason: "no TLSA record matched") }
        // A DANE-EE match checks no name (RFC 7672 section 3.1.1); DANE-TA checked the base
        // domain and the reference names (section 3.2.2).
        let candidates = expectation.daneBaseDomain.map { [$0] + expectation.referenceNames } ?? expectation.referenceNames
        return .daneVerified(authorityDepth: Int(depth),
                             matchedName: depth == 0 ? nil : matchedReferenceName(ssl, candidates: candidates))
    }

    /// The first reference name the server's certificate matches, checked as OpenSSL's verifier
    /// did. The name asked for, not the certificate's: "in.mail.example", never "*.mail.example"
    /// (which is what `SSL_get0_peername` would say).
    private func matchedReferenceName(_ ssl: OpaquePointer, candidates: [String]) -> String? {
        guard let leaf = SSL_get0_peer_certificate(ssl) else { return nil }
        let flags = UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)
        return candidates.first { name in
            Self.isIPAddress(name) ? X509_check_ip_asc(leaf, name, flags) == 1
                                   : X509_check_host(leaf, name, name.utf8.count, flags, nil) == 1
        }
    }

    private static func peerChain(of ssl: OpaquePointer) -> [TLSCertificateSummary] {
        // On the client side the chain includes the server's own certificate, first.
        guard let chain = SSL_get_peer_cert_chain(ssl) else { return [] }
        return (0..<OPENSSL_sk_num(chain)).compactMap { index in
            OPENSSL_sk_value(chain, index).map { TLSCertificateSummary(certificate: OpaquePointer($0)) }
        }
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, text, &storage) == 1 || inet_pton(AF_INET6, text, &storage) == 1
    }
}
