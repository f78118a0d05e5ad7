extension IMAPSession {
    /// RFC 4978 §3: after the tagged OK, both directions are raw DEFLATE. Valid once logged in
    /// (command-auth); the layer itself lives in LoftServer's pipeline, not here.
    func compress(_ tag: String, _ algorithm: String) {
        guard requireAuthenticated(tag) != nil else { return }
        guard offersCompression else {
            bad(tag, "COMPRESS is not offered on this connection.")
            return
        }
        guard algorithm == "DEFLATE" else {
            bad(tag, "Unknown compression algorithm; this server offers DEFLATE.")
            return
        }
        guard !compressionActive else {
            complete(tag, .no, code: "COMPRESSIONACTIVE", "DEFLATE is already active on this connection.")
            return
        }
        guard let connection else { return }
        // Changes are announced before the OK, so nothing uncompressed follows it.
        announceChanges(expunges: true)
        flush()
        switch connection.startCompression(sendingReply: {
            emit("\(tag) OK DEFLATE active.")
            flush()
        }) {
        case .started:
            compressionActive = true
            badCommands = 0
        case .noSlot:
            complete(tag, .no, code: "LIMIT", "Too many compressed connections on this server; go on uncompressed.")
        case .notOffered:
            bad(tag, "COMPRESS is not offered on this connection.")
        }
    }

    /// COMPRESS=DEFLATE: where the listener has the layer and neither it nor the user withholds it.
    var offersCompression: Bool {
        connection?.services.compression != nil && !withheldCapabilities.contains("COMPRESS=DEFLATE")
    }
}
