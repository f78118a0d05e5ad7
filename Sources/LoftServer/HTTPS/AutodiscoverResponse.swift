/// The Autodiscover POX answer (Outlook response schema 2006a) for one address: an email account with
/// a `Protocol` for each IMAP, POP3 and submission listener, implicit TLS (`Encryption` SSL) before
/// STARTTLS (`Encryption` TLS); the whole address is the login name.
enum AutodiscoverResponse {
    static let envelopeSchema = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"

    static func document(address: String, settings: MailClientSettings) -> String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <Autodiscover xmlns="\(envelopeSchema)">
              <Response xmlns="\(AutodiscoverRequest.responseSchema)">
                <Account>
                  <AccountType>email</AccountType>
                  <Action>settings</Action>

            """
        for endpoint in settings.imap + settings.pop3 + settings.smtp {
            xml += """
                      <Protocol>
                        <Type>\(endpoint.kind == .smtp ? "SMTP" : endpoint.kind.rawValue.uppercased())</Type>
                        <Server>\(endpoint.host.xmlEscaped)</Server>
                        <Port>\(endpoint.port)</Port>
                        <LoginName>\(address.xmlEscaped)</LoginName>
                        <DomainRequired>off</DomainRequired>
                        <SPA>off</SPA>
                        <SSL>on</SSL>
                        <Encryption>\(endpoint.security == .implicitTLS ? "SSL" : "TLS")</Encryption>
                        <AuthRequired>on</AuthRequired>
                      </Protocol>

                """
        }
        xml += "    </Account>\n  </Response>\n</Autodiscover>\n"
        return xml
    }
}
