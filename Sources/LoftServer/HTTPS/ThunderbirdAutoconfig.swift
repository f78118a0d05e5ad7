/// Thunderbird's autoconfiguration file (`config-v1.1.xml`, the "clientConfig" format Thunderbird and
/// FairEmail read): the server's IMAP and POP3 listeners as incoming servers (IMAP first: clients pick the
/// first), submission as outgoing, implicit TLS (`SSL`) before `STARTTLS`.
enum ThunderbirdAutoconfig {
    /// The document for `domain` (a local domain, lower case).
    static func document(domain: String, settings: MailClientSettings) -> String {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <clientConfig version="1.1">
              <emailProvider id="\(domain.xmlEscaped)">
                <domain>\(domain.xmlEscaped)</domain>
                <displayName>\(domain.xmlEscaped) mail</displayName>
                <displayShortName>\(domain.xmlEscaped)</displayShortName>

            """
        for endpoint in settings.imap + settings.pop3 {
            xml += server("incomingServer", endpoint)
        }
        for endpoint in settings.smtp {
            xml += server("outgoingServer", endpoint)
        }
        xml += "  </emailProvider>\n</clientConfig>\n"
        return xml
    }

    private static func server(_ element: String, _ endpoint: MailServerEndpoint) -> String {
        // `%EMAILADDRESS%`: Thunderbird puts in the whole address, which is what Loft's logins take.
        """
            <\(element) type="\(endpoint.kind.rawValue)">
              <hostname>\(endpoint.host.xmlEscaped)</hostname>
              <port>\(endpoint.port)</port>
              <socketType>\(endpoint.security == .implicitTLS ? "SSL" : "STARTTLS")</socketType>
              <authentication>password-cleartext</authentication>
              <username>%EMAILADDRESS%</username>
            </\(element)>

        """
    }
}
