extension LoftConfiguration {
    /// The embedded demo that `loft serve` runs without a configuration file: everything lives in
    /// `directory` (the caller passes `./loft-data` made absolute), and the listeners sit on 127.0.0.1
    /// at the standard port plus 1000.
    ///
    /// Layout: TLS certificate `<directory>/tls/cert.pem`, key `<directory>/tls/key.pem`, users in
    /// `<directory>/passwd`. Creating these files is the caller's job. Limits are the defaults.
    public static func demo(directory: String) -> LoftConfiguration {
        func loopback(_ port: Int) -> ListenAddress { ListenAddress(host: "127.0.0.1", port: port) }
        return LoftConfiguration(
            hostname: "localhost",
            domain: "localhost",
            dataDirectory: directory,
            tls: TLSSettings(certificate: directory + "/tls/cert.pem", privateKey: directory + "/tls/key.pem"),
            auth: AuthSettings(passwdFile: directory + "/passwd"),
            dns: .standard,
            listeners: [
                ListenerConfiguration(protocol: .pop3, address: loopback(1110), tls: .starttls),
                ListenerConfiguration(protocol: .pop3, address: loopback(1995), tls: .implicit),
                ListenerConfiguration(protocol: .submission, address: loopback(1587), tls: .starttls),
                ListenerConfiguration(protocol: .submission, address: loopback(1465), tls: .implicit),
                ListenerConfiguration(protocol: .imap, address: loopback(1143), tls: .starttls),
                ListenerConfiguration(protocol: .imap, address: loopback(1993), tls: .implicit),
                ListenerConfiguration(protocol: .https, address: loopback(1443), tls: .implicit),
            ])
    }
}
