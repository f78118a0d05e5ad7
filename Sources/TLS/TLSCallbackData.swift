internal import COpenSSL

/// What the C callbacks of a `TLSServerContext` need, passed to them as their `arg` pointer
/// (unretained: the owning `TLSServerContext` outlives every `SSL` made from it, because each
/// `TLSServerHandler` holds its context). Immutable after init, so reads from any thread are safe.
final class TLSCallbackData {
    /// Lower-cased host name -> `SSL_CTX*` holding that name's certificate. Owned (freed in deinit).
    let sniContexts: [String: OpaquePointer]
    /// The strict ALPN id, if any.
    let applicationProtocol: [UInt8]?

    init(sniContexts: [String: OpaquePointer], applicationProtocol: [UInt8]?) {
        self.sniContexts = sniContexts
        self.applicationProtocol = applicationProtocol
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
        if applicationProtocol != nil {
            SSL_CTX_set_alpn_select_cb(context, { _, out, outLength, offered, offeredLength, arg in
                guard let arg, let out, let outLength, let offered else { return SSL_TLSEXT_ERR_ALERT_FATAL }
                let data = Unmanaged<TLSCallbackData>.fromOpaque(arg).takeUnretainedValue()
                guard let wanted = data.applicationProtocol else { return SSL_TLSEXT_ERR_NOACK }
                // The offer is a list of length-prefixed ids (RFC 7301 section 3.1).
                var index = 0
                let total = Int(offeredLength)
                while index < total {
                    let length = Int(offered[index])
                    let start = index + 1
                    guard start + length <= total else { break }
                    if length == wanted.count,
                       UnsafeBufferPointer(start: offered + start, count: length).elementsEqual(wanted) {
                        out.pointee = offered + start
                        outLength.pointee = UInt8(length)
                        return SSL_TLSEXT_ERR_OK
                    }
                    index = start + length
                }
                // Strict ALPN: OpenSSL answers ALERT_FATAL with a no_application_protocol alert
                // (RFC 7301 section 3.2).
                return SSL_TLSEXT_ERR_ALERT_FATAL
            }, arg)
        }
    }
}
