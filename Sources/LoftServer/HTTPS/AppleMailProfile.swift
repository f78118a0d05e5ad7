import TLS

/// An Apple configuration profile (`.mobileconfig`, unsigned) with one mail account (payload
/// `com.apple.mail.managed`) for one address: iOS and macOS install it after asking the user, who then
/// enters the password.
///
/// Apple's payload has one incoming and one outgoing server and no STARTTLS switch: `UseSSL` true means
/// TLS, which Apple's clients do on an implicit-TLS port directly and on 143/110/587 by STARTTLS. So the
/// profile names the first implicit-TLS listener, else the first STARTTLS one (with `UseSSL` still true);
/// IMAP when there is an IMAP listener, else POP3.
enum AppleMailProfile {
    static let contentType = "application/x-apple-aspen-config"

    /// The profile, or nil when the server has no incoming or no outgoing listener to describe.
    static func document(address: String, settings: MailClientSettings) -> String? {
        guard let incoming = settings.imap.first ?? settings.pop3.first, let outgoing = settings.smtp.first else { return nil }
        let accountType = incoming.kind == .imap ? "EmailTypeIMAP" : "EmailTypePOP"
        // Reverse-DNS identifiers under the server's name; the UUIDs are stable per server and address, so
        // installing a fresh download replaces the profile instead of adding a second account.
        let identifier = settings.hostname.split(separator: ".").reversed().joined(separator: ".") + ".loft.mail"
        let profileUUID = stableUUID("\(settings.hostname) \(address) profile")
        let accountUUID = stableUUID("\(settings.hostname) \(address) account")
        let name = address.xmlEscaped
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
            <plist version="1.0">
            <dict>
              <key>PayloadContent</key>
              <array>
                <dict>
                  <key>EmailAccountDescription</key>
                  <string>\(name)</string>
                  <key>EmailAccountType</key>
                  <string>\(accountType)</string>
                  <key>EmailAddress</key>
                  <string>\(name)</string>
                  <key>IncomingMailServerAuthentication</key>
                  <string>EmailAuthPassword</string>
                  <key>IncomingMailServerHostName</key>
                  <string>\(incoming.host.xmlEscaped)</string>
                  <key>IncomingMailServerPortNumber</key>
                  <integer>\(incoming.port)</integer>
                  <key>IncomingMailServerUseSSL</key>
                  <true/>
                  <key>IncomingMailServerUsername</key>
                  <string>\(name)</string>
                  <key>OutgoingMailServerAuthentication</key>
                  <string>EmailAuthPassword</string>
                  <key>OutgoingMailServerHostName</key>
                  <string>\(outgoing.host.xmlEscaped)</string>
                  <key>OutgoingMailServerPortNumber</key>
                  <integer>\(outgoing.port)</integer>
                  <key>OutgoingMailServerUseSSL</key>
                  <true/>
                  <key>OutgoingMailServerUsername</key>
                  <string>\(name)</string>
                  <key>OutgoingPasswordSameAsIncomingPassword</key>
                  <true/>
                  <key>PayloadDescription</key>
                  <string>Mail account \(name)</string>
                  <key>PayloadDisplayName</key>
                  <string>\(name)</string>
                  <key>PayloadIdentifier</key>
                  <string>\(identifier.xmlEscaped).account.\(accountUUID)</string>
                  <key>PayloadType</key>
                  <string>com.apple.mail.managed</string>
                  <key>PayloadUUID</key>
                  <string>\(accountUUID)</string>
                  <key>PayloadVersion</key>
                  <integer>1</integer>
                </dict>
              </array>
              <key>PayloadDescription</key>
              <string>Sets up the mail account \(name) on \(settings.hostname.xmlEscaped).</string>
              <key>PayloadDisplayName</key>
              <string>Mail: \(name)</string>
              <key>PayloadIdentifier</key>
              <string>\(identifier.xmlEscaped).\(profileUUID)</string>
              <key>PayloadRemovalDisallowed</key>
              <false/>
              <key>PayloadType</key>
              <string>Configuration</string>
              <key>PayloadUUID</key>
              <string>\(profileUUID)</string>
              <key>PayloadVersion</key>
              <integer>1</integer>
            </dict>
            </plist>

            """
    }

    /// A UUID made from the SHA-256 of `seed` (RFC 9562 §5.8 layout: version 8, variant 10), upper case as
    /// Apple writes them.
    static func stableUUID(_ seed: String) -> String {
        var bytes = Array(SHA256Digest.digest(Array(seed.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x80
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = SHA256Digest.hex(bytes).uppercased()
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            hex.dropFirst(range.lowerBound).prefix(range.count)
        }
        return groups.joined(separator: "-")
    }
}
