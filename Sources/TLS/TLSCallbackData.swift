internal import COpenSSL

/// What the C callbacks of a `TLSServerContext` need, passed to them as their `arg` pointer
/// (unretained: the owning `TLSServerContext` outlives every `SSL` made from it, because each
/// `TLSServerHandler` holds its context). Immutable after init, so reads from any thread are safe.
final class TLSCallbackData {
    /// Lower-cased host name -> `SSL_CTX*` holding that name's certificate. Owned (freed in deinit).
    let sniContexts: [String: OpaquePointer]
    /// The strict ALPN id, if any.
    let applicationProtocol: [UInt8]?
    /// Pending ACME tls-alpn-01 challenges answered on this listener, if any.
    let challenges: TLSALPNChallenges?

    init(sniContexts: [String: OpaquePointer], applicationProtocol: [UInt8]?, challenges: TLSALPNChallenges?) {
        self.sniContexts = sniContexts
        self.applicationProtocol = applicationProtocol
        self.challenges = challenges
    }

    deinit {
        for context in sniContexts.values { SSL_CTX_free(context) }
    }

    /// Installs the SNI and ALPN callbacks on `context`. Every context needs the ALPN callback,
    /// because after `SSL_set_SSL_CTX` OpenSSL asks the new context's callback.
    func install(on context: OpaquePointer) {
        let arg = Unmanaged.passUnretained(self).toOpaque()
        if !sniContexts.isEmpty {
            _ = cssl_CTX_set_servername_callback(context) { ssl, _, arg in
                guard let ssl, let arg else { return SSL_TLSEXT_ERR_OK }
                let data = Unmanaged<TLSCallbackData>.fromOpaque(arg).takeUnretainedValue()
                // No SNI (or an unknown name) keeps the default certificate.
                guard let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return SSL_TLSEXT_ERR_OK }
                if let chosen = data.sniContexts[String(cString: name).lowercased()] {
                    _ = SSL_set_SSL_CTX(ssl, chosen)
                }
                return SSL_TLSEXT_ERR_OK
            }
            _ = cssl_CTX_set_servername_arg(context, arg)
        }
        if applicationProtocol != nil || challenges != nil {
            SSL_CTX_set_alpn_select_cb(context, { ssl, out, outLength, offered, offeredLength, arg in
                guard let ssl, let arg, let out, let outLength, let offered else { return SSL_TLSEXT_ERR_ALERT_FATAL }
                let data = Unmanaged<TLSCallbackData>.fromOpaque(arg).takeUnretainedValue()
                let offer = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
                func select(_ id: [UInt8]) -> Bool {
                    guard let start = TLSCallbackData.position(of: id, in: offer) else { return false }
                    out.pointee = offered + start
                    outLength.pointee = UInt8(id.count)
                    return true
                }
                // RFC 8737 §3: a validation connection gets the challenge certificate of the name it asks for.
                if let challenges = data.challenges, TLSCallbackData.position(of: TLSALPNChallenges.applicationProtocolBytes, in: offer) != nil,
                   let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name),
                   let certificate = challenges.certificate(for: String(cString: name)) {
                    guard certificate.install(on: ssl), select(TLSALPNChallenges.applicationProtocolBytes) else {
                        return SSL_TLSEXT_ERR_ALERT_FATAL
                    }
                    return SSL_TLSEXT_ERR_OK
                }
                guard let wanted = data.applicationProtocol else { return SSL_TLSEXT_ERR_NOACK }
                // Strict ALPN: OpenSSL answers ALERT_FATAL with a no_application_protocol alert
                // (RFC 7301 section 3.2).
                return select(wanted) ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_ALERT_FATAL
            }, arg)
        }
    }

    /// Where `id` starts in an ALPN offer, a list of length-prefixed ids (RFC 7301 section 3.1).
    private static func position(of id: [UInt8], in offer: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < offer.count {
            let length = Int(offer[index])
            let start = index + 1
            guard start + length <= offer.count else { return nil }
            if length == id.count, offer[start..<start + length].elementsEqual(id) { return start }
            index = start + length
        }
        return nil
    }
}
