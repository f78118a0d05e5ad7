import Config
import Foundation
import Testing

/// A configuration text that must be refused with exactly `expected` as the admin's one-line message.
struct Refusal: Sendable, CustomTestStringConvertible {
    let label: String
    let text: String
    let path: String
    let expected: String

    init(_ label: String, _ text: String, path: String = "loft.toml", _ expected: String) {
        self.label = label
        self.text = text
        self.path = path
        self.expected = expected
    }

    /// The minimal configuration with `old` replaced by `new` (which must occur in it).
    init(_ label: String, replacing old: String, with new: String, path: String = "loft.toml", _ expected: String) {
        precondition(ConfigFixtures.minimal.contains(old), "fixture lacks \(old)")
        self.init(label, ConfigFixtures.minimal.replacingOccurrences(of: old, with: new), path: path, expected)
    }

    var testDescription: String { label }
}

@Suite("Refusals name the file, the key and the problem")
struct ConfigRefusalTests {
    static let unknownKeys: [Refusal] = [
        Refusal("misspelt listener key", replacing: "tls = \"none\"", with: "tsl = \"none\"",
                #"loft.toml: listener[0].tsl: unknown key (did you mean "tls"?)"#),
        Refusal("misspelt section", ConfigFixtures.minimal + "[pop]\nidle_timeout = \"10m\"\n",
                #"loft.toml: pop: unknown key (did you mean "pop3"?)"#),
        Refusal("unknown top-level key", "colour = \"blue\"\n" + ConfigFixtures.minimal,
                "loft.toml: colour: unknown key"),
        Refusal("misspelt tls key",
                ConfigFixtures.minimal + ConfigFixtures.tlsSection.replacingOccurrences(of: "private_key", with: "privat_key"),
                #"loft.toml: tls.privat_key: unknown key (did you mean "private_key"?)"#),
        Refusal("unknown auth key", replacing: "[auth]", with: "[auth]\nscheme = \"SHA512-CRYPT\"",
                "loft.toml: auth.scheme: unknown key"),
        Refusal("misspelt submission key", ConfigFixtures.minimal + "[submission]\nmax_message_sise = \"1M\"\n",
                #"loft.toml: submission.max_message_sise: unknown key (did you mean "max_message_size"?)"#),
        Refusal("unknown delivery key", ConfigFixtures.minimal + "[delivery]\nrelay = \"smarthost\"\n",
                "loft.toml: delivery.relay: unknown key"),
        Refusal("misspelt sni key",
                ConfigFixtures.minimal + ConfigFixtures.tlsSection
                    + "[[tls.sni]]\nhostname = \"a.example\"\ncertificate = \"a.pem\"\nprivatekey = \"k.pem\"\n",
                #"loft.toml: tls.sni[0].privatekey: unknown key (did you mean "private_key"?)"#),
    ]

    static let wrongTypes: [Refusal] = [
        Refusal("integer hostname", replacing: "hostname = \"mail.example.org\"", with: "hostname = 42",
                "loft.toml: hostname: expected a string, got an integer"),
        Refusal("string boolean", replacing: "tls = \"none\"", with: "tls = \"none\"\nallow_plaintext_auth = \"yes\"",
                "loft.toml: listener[0].allow_plaintext_auth: expected a boolean (true or false), got a string"),
        Refusal("quoted integer", ConfigFixtures.minimal + "[pop3]\nmax_line_length = \"512\"\n",
                "loft.toml: pop3.max_line_length: expected an integer, got a string"),
        Refusal("unquoted duration", ConfigFixtures.minimal + "[limits]\nshutdown_grace = 10\n",
                #"loft.toml: limits.shutdown_grace: expected a duration like "500ms", "2s", "10m", "1h" or "5d" (a quoted string), got an integer"#),
        Refusal("unquoted min_version", ConfigFixtures.minimal + ConfigFixtures.tlsSection + "min_version = 1.2\n",
                #"loft.toml: tls.min_version: must be "1.2" or "1.3" (a quoted string), got a floating-point number"#),
        Refusal("unquoted size", ConfigFixtures.minimal + "[submission]\nmax_message_size = 1000000\n",
                #"loft.toml: submission.max_message_size: expected a size like "50M", "512K", "1G" or "1000" (bytes) (a quoted string), got an integer"#),
        Refusal("quoted recipient count", ConfigFixtures.minimal + "[submission]\nmax_recipients = \"100\"\n",
                "loft.toml: submission.max_recipients: expected an integer, got a string"),
        Refusal("aliases file as a boolean", ConfigFixtures.minimal + "[submission]\naliases_file = true\n",
                "loft.toml: submission.aliases_file: expected a string, got a boolean"),
        Refusal("local domains as a string", ConfigFixtures.minimal + "[delivery]\nlocal_domains = \"example.org\"\n",
                "loft.toml: delivery.local_domains: expected an array of strings, got a string"),
        Refusal("local domain as an integer",
                ConfigFixtures.minimal + "[delivery]\nlocal_domains = [\"example.org\", 7]\n",
                "loft.toml: delivery.local_domains[1]: expected a string, got an integer"),
        Refusal("submission as a string", "submission = \"on\"\n" + ConfigFixtures.minimal,
                "loft.toml: submission: expected a table ([submission]), got a string"),
        Refusal("tls as a string", "tls = \"yes\"\n" + ConfigFixtures.minimal,
                "loft.toml: tls: expected a table ([tls]), got a string"),
        Refusal("single listener table",
                ConfigFixtures.minimal.replacingOccurrences(of: "[[listener]]", with: "[listener]"),
                "loft.toml: listener: expected an array of tables ([[listener]]), got a table"),
        Refusal("listener array of strings",
                ConfigFixtures.minimal.components(separatedBy: "[[listener]]")[0]
                    .replacingOccurrences(of: "[auth]", with: "listener = [\"pop3\"]\n[auth]"),
                "loft.toml: listener[0]: expected an array of tables ([[listener]]), got a string in the array"),
    ]

    static let missing: [Refusal] = [
        Refusal("no hostname", replacing: "hostname = \"mail.example.org\"\n", with: "",
                "loft.toml: hostname: required, but missing"),
        Refusal("empty hostname", replacing: "hostname = \"mail.example.org\"", with: "hostname = \"\"",
                "loft.toml: hostname: must not be empty"),
        Refusal("no data_dir", replacing: "data_dir = \"/var/lib/loft\"\n", with: "",
                "loft.toml: data_dir: required, but missing"),
        Refusal("no [auth]", replacing: "[auth]\npasswd_file = \"/etc/loft/passwd\"\n", with: "",
                "loft.toml: auth.passwd_file: required, but missing"),
        Refusal("no passwd_file", replacing: "passwd_file = \"/etc/loft/passwd\"", with: "failure_delay = \"2s\"",
                "loft.toml: auth.passwd_file: required, but missing"),
        Refusal("no listener protocol", replacing: "protocol = \"pop3\"\n", with: "",
                "loft.toml: listener[0].protocol: required, but missing"),
        Refusal("no listener address", replacing: "address = \"127.0.0.1:110\"\n", with: "",
                "loft.toml: listener[0].address: required, but missing"),
        Refusal("no listener tls", replacing: "tls = \"none\"\n", with: "",
                "loft.toml: listener[0].tls: required, but missing"),
        Refusal("no tls certificate", ConfigFixtures.minimal + "[tls]\nprivate_key = \"key.pem\"\n",
                "loft.toml: tls.certificate: required, but missing"),
        Refusal("no listeners", ConfigFixtures.minimal.components(separatedBy: "[[listener]]")[0],
                "loft.toml: listener: no listeners configured; add at least one [[listener]] section"),
        Refusal("empty listener array",
                ConfigFixtures.minimal.components(separatedBy: "[[listener]]")[0]
                    .replacingOccurrences(of: "[auth]", with: "listener = []\n[auth]"),
                "loft.toml: listener: no listeners configured; add at least one [[listener]] section"),
    ]

    static let invalidValues: [Refusal] = [
        Refusal("withhold_capabilities on a pop3 listener", replacing: "tls = \"none\"",
                with: "tls = \"none\"\nwithhold_capabilities = [\"IDLE\"]",
                "loft.toml: listener[0].withhold_capabilities: only an imap listener has capabilities to withhold"),
        Refusal("withholding what is not an extension",
                replacing: "protocol = \"pop3\"\naddress = \"127.0.0.1:110\"\ntls = \"none\"",
                with: "protocol = \"imap\"\naddress = \"127.0.0.1:143\"\ntls = \"none\"\nwithhold_capabilities = [\"idle\", \"STARTTLS\"]",
                #"loft.toml: listener[0].withhold_capabilities: "STARTTLS" is not an IMAP extension Loft can withhold (one of: APPENDLIMIT, BINARY, CHILDREN, COMPRESS=DEFLATE, CONDSTORE, CREATE-SPECIAL-USE, ENABLE, ESEARCH, ESORT, ID, IDLE, IMAP4REV2, LIST-EXTENDED, LIST-STATUS, LITERAL+, METADATA, MOVE, MULTIAPPEND, NAMESPACE, NOTIFY, OBJECTID, QRESYNC, QUOTA, QUOTA=RES-MESSAGE, QUOTA=RES-STORAGE, SASL-IR, SEARCHRES, SORT, SORT=DISPLAY, SPECIAL-USE, STATUS=SIZE, THREAD=ORDEREDSUBJECT, THREAD=REFERENCES, UIDPLUS, UNSELECT, UTF8=ACCEPT)"#),
        Refusal("zero connections", ConfigFixtures.minimal + "[limits]\nmax_connections_per_ip = 0\n",
                "loft.toml: limits.max_connections_per_ip: must be from 1 to 1000000, got 0"),
        Refusal("too many auth threads", ConfigFixtures.minimal + "[limits]\nauth_threads = 1000\n",
                "loft.toml: limits.auth_threads: must be from 1 to 256, got 1000"),
        Refusal("login timeout under a second", ConfigFixtures.minimal + "[limits]\nlogin_timeout = \"500ms\"\n",
                #"loft.toml: limits.login_timeout: must be at least 1s, got "500ms""#),
        Refusal("TLS 1.1", ConfigFixtures.minimal + ConfigFixtures.tlsSection + "min_version = \"1.1\"\n",
                path: "/etc/loft/loft.toml",
                #"/etc/loft/loft.toml: tls.min_version: must be "1.2" or "1.3", got "1.1""#),
        Refusal("unknown protocol", replacing: "protocol = \"pop3\"", with: "protocol = \"smtp\"",
                #"loft.toml: listener[0].protocol: must be "pop3", "imap", "submission", "https" or "http", got "smtp""#),
        Refusal("ACME without agreeing to the CA's terms", ConfigFixtures.minimal + "[tls]\n[tls.acme]\n",
                "loft.toml: tls.acme.terms_agreed: must be true: read the CA's terms of service, then set terms_agreed = true"),
        Refusal("ACME directory over plain HTTP",
                ConfigFixtures.minimal + "[tls]\n[tls.acme]\nterms_agreed = true\ndirectory = \"http://ca.test/dir\"\n",
                #"loft.toml: tls.acme.directory: must be an https:// URL of an ACME directory, got "http://ca.test/dir""#),
        Refusal("ACME contact that is not mailto",
                ConfigFixtures.minimal + "[tls]\n[tls.acme]\nterms_agreed = true\ncontact = [\"admin@example.org\"]\n",
                #"loft.toml: tls.acme.contact: entries must be "mailto:someone@example.org", got "admin@example.org""#),
        Refusal("a name both static and ACME",
                ConfigFixtures.minimal + ConfigFixtures.tlsSection
                    + "[[tls.sni]]\nhostname = \"mail.example.org\"\ncertificate = \"c.pem\"\nprivate_key = \"k.pem\"\n"
                    + "[tls.acme]\nterms_agreed = true\n",
                "loft.toml: tls.acme.names: mail.example.org has a static certificate in tls.sni[0]; list it in one place only"),
        Refusal("an http listener behind a PROXY-protocol balancer",
                replacing: "protocol = \"pop3\"\naddress = \"127.0.0.1:110\"\ntls = \"none\"",
                with: "protocol = \"http\"\naddress = \"127.0.0.1:80\"\ntls = \"none\"\nproxy_protocol = true\nproxy_trusted = [\"10.0.0.5\"]",
                "loft.toml: listener[0].proxy_protocol: an http listener does not read PROXY headers; remove it"),
        Refusal("an http listener with TLS", replacing: "protocol = \"pop3\"\naddress = \"127.0.0.1:110\"\ntls = \"none\"",
                with: "protocol = \"http\"\naddress = \"127.0.0.1:80\"\ntls = \"implicit\"",
                #"loft.toml: listener[0].tls: an http listener (ACME http-01 challenges, redirects to HTTPS) must have tls = "none""#),
        Refusal("unknown tls mode", replacing: "tls = \"none\"", with: "tls = \"ssl\"",
                #"loft.toml: listener[0].tls: must be "starttls", "implicit" or "none", got "ssl""#),
        Refusal("implicit TLS without [tls]", replacing: "tls = \"none\"", with: "tls = \"implicit\"",
                #"loft.toml: listener[0].tls: "implicit" needs a [tls] certificate and private_key"#),
        Refusal("STARTTLS without [tls]", replacing: "tls = \"none\"", with: "tls = \"starttls\"",
                #"loft.toml: listener[0].tls: "starttls" needs a [tls] certificate and private_key"#),
        Refusal("hostname with a space", replacing: "hostname = \"mail.example.org\"",
                with: "hostname = \"mail example.org\"",
                #"loft.toml: hostname: must be a host name like "mail.example.org", got "mail example.org""#),
        Refusal("domain with an empty label", replacing: "data_dir", with: "domain = \"example..org\"\ndata_dir",
                #"loft.toml: domain: must be a host name like "mail.example.org", got "example..org""#),
        Refusal("empty user", replacing: "data_dir", with: "user = \"\"\ndata_dir",
                "loft.toml: user: must not be empty (leave it out to keep the current user)"),
        Refusal("empty data_dir", replacing: "data_dir = \"/var/lib/loft\"", with: "data_dir = \"\"",
                "loft.toml: data_dir: must not be empty"),
        Refusal("duplicate SNI hostname",
                ConfigFixtures.minimal + ConfigFixtures.tlsSection
                    + "[[tls.sni]]\nhostname = \"mail.example.net\"\ncertificate = \"a.pem\"\nprivate_key = \"a.key\"\n"
                    + "[[tls.sni]]\nhostname = \"MAIL.example.net\"\ncertificate = \"b.pem\"\nprivate_key = \"b.key\"\n",
                "loft.toml: tls.sni[1].hostname: duplicate hostname MAIL.example.net (also used by tls.sni[0])"),
        Refusal("POP3 idle timeout below RFC 1939", ConfigFixtures.minimal + "[pop3]\nidle_timeout = \"5m\"\n",
                #"loft.toml: pop3.idle_timeout: must be at least 10m (RFC 1939 §3), got "5m""#),
        Refusal("POP3 line too short", ConfigFixtures.minimal + "[pop3]\nmax_line_length = 100\n",
                "loft.toml: pop3.max_line_length: must be from 255 (RFC 2449 §4) to 65536 bytes, got 100"),
        Refusal("IMAP idle timeout below RFC 3501", ConfigFixtures.minimal + "[imap]\nidle_timeout = \"10m\"\n",
                #"loft.toml: imap.idle_timeout: must be at least 30m (RFC 3501 §5.4), got "10m""#),
        Refusal("IMAP keepalive after the autologout", ConfigFixtures.minimal + "[imap]\nidle_keepalive = \"45m\"\n",
                #"loft.toml: imap.idle_keepalive: must be from 10s to 29m, got "45m""#),
        Refusal("IMAP line below RFC 7162", ConfigFixtures.minimal + "[imap]\nmax_line_length = 1000\n",
                "loft.toml: imap.max_line_length: must be from 8192 (RFC 7162 §4) to 1048576 bytes, got 1000"),
        Refusal("no folders allowed", ConfigFixtures.minimal + "[imap]\nmax_folders = 0\n",
                "loft.toml: imap.max_folders: must be from 1 to 100000, got 0"),
        Refusal("a negative cap on compressed sessions", ConfigFixtures.minimal + "[imap]\nmax_compressed_sessions = -1\n",
                "loft.toml: imap.max_compressed_sessions: must be from 0 (COMPRESS not offered) to 100000, got -1"),
        Refusal("METADATA values above the literal limit", ConfigFixtures.minimal + "[imap]\nmetadata_max_value_size = \"1M\"\n",
                #"loft.toml: imap.metadata_max_value_size: must be from 1K to 64K, got "1M""#),
        Refusal("no METADATA entries", ConfigFixtures.minimal + "[imap]\nmetadata_max_entries = 0\n",
                "loft.toml: imap.metadata_max_entries: must be from 1 to 10000, got 0"),
        Refusal("NOTIFY watching no mailbox", ConfigFixtures.minimal + "[imap]\nnotify_max_mailboxes = 0\n",
                "loft.toml: imap.notify_max_mailboxes: must be from 1 to 10000, got 0"),
        Refusal("NOTIFY with almost no room to wait", ConfigFixtures.minimal + "[imap]\nnotify_max_pending = 5\n",
                "loft.toml: imap.notify_max_pending: must be from 10 to 100000, got 5"),
        Refusal("message size below RFC 5321", ConfigFixtures.minimal + "[submission]\nmax_message_size = \"1000\"\n",
                #"loft.toml: submission.max_message_size: must be at least 64K (RFC 5321 §4.5.3.1.7), got "1000""#),
        Refusal("too few recipients", ConfigFixtures.minimal + "[submission]\nmax_recipients = 10\n",
                "loft.toml: submission.max_recipients: must be from 100 (RFC 5321 §4.5.3.1.8) to 100000, got 10"),
        Refusal("submission idle timeout below RFC 5321",
                ConfigFixtures.minimal + "[submission]\nidle_timeout = \"1m\"\n",
                #"loft.toml: submission.idle_timeout: must be at least 5m (RFC 5321 §4.5.3.2.7), got "1m""#),
        Refusal("empty aliases file", ConfigFixtures.minimal + "[submission]\naliases_file = \"\"\n",
                "loft.toml: submission.aliases_file: must not be empty"),
        Refusal("no local domains", ConfigFixtures.minimal + "[delivery]\nlocal_domains = []\n",
                "loft.toml: delivery.local_domains: must list at least one domain"),
        Refusal("queue lifetime out of range", ConfigFixtures.minimal + "[delivery]\nqueue_lifetime = \"200d\"\n",
                #"loft.toml: delivery.queue_lifetime: must be from 1s to 100d, got "200d""#),
        Refusal("retry interval below the first retry",
                ConfigFixtures.minimal + "[delivery]\nretry_after = \"10m\"\nmax_retry_interval = \"5m\"\n",
                "loft.toml: delivery.max_retry_interval: must not be shorter than retry_after"),
        Refusal("smtp port out of range", ConfigFixtures.minimal + "[delivery]\nsmtp_port = 0\n",
                "loft.toml: delivery.smtp_port: must be a TCP port from 1 to 65535, got 0"),
        Refusal("a forwarder that is a host name", ConfigFixtures.minimal + "[dns]\nforwarders = [\"dns.example\"]\n",
                #"loft.toml: dns.forwarders[0]: must be an IP address with an optional @port, like "127.0.0.1" or "::1@5353", got "dns.example""#),
        Refusal("unknown TLS level",
                ConfigFixtures.minimal + "[outbound_tls]\n[[outbound_tls.policy]]\ndomain = \"bank.example\"\nlevel = \"strict\"\n",
                #"loft.toml: outbound_tls.policy[0].level: must be "none", "may", "encrypt", "dane", "dane-only", "verify", "secure" or "fingerprint", got "strict""#),
        Refusal("fingerprint level without fingerprints",
                ConfigFixtures.minimal + "[outbound_tls]\n[[outbound_tls.policy]]\ndomain = \"bank.example\"\nlevel = \"fingerprint\"\n",
                #"loft.toml: outbound_tls.policy[0].fingerprints: level "fingerprint" needs at least one fingerprint"#),
        Refusal("relay without a port",
                ConfigFixtures.minimal + "[[relay]]\ndomains = [\"*\"]\nhost = \"smtp.example.net\"\ntls = \"implicit\"\n",
                #"loft.toml: relay[0].host: must be "host:port", like "smtp.example.net:587", got "smtp.example.net""#),
        Refusal("relay user without a password file",
                ConfigFixtures.minimal + "[[relay]]\ndomains = [\"*\"]\nhost = \"smtp.example.net:465\"\ntls = \"implicit\"\nusername = \"me\"\n",
                "loft.toml: relay[0].password_file: username and password_file go together"),
        Refusal("local domain with an @",
                ConfigFixtures.minimal + "[delivery]\nlocal_domains = [\"example.org\", \"user@example.net\"]\n",
                #"loft.toml: delivery.local_domains[1]: must be a host name like "example.org", got "user@example.net""#),
        Refusal("duplicate local domain",
                ConfigFixtures.minimal + "[delivery]\nlocal_domains = [\"example.org\", \"EXAMPLE.org\"]\n",
                "loft.toml: delivery.local_domains[1]: duplicate domain EXAMPLE.org (also local_domains[0])"),
        Refusal("failure delay max below the delay", replacing: "passwd_file = \"/etc/loft/passwd\"",
                with: "passwd_file = \"/etc/loft/passwd\"\nfailure_delay = \"5s\"\nfailure_delay_max = \"1s\"",
                #"loft.toml: auth.failure_delay_max: must be at least failure_delay ("5s"), got "1s""#),
        Refusal("failure delay above the default max", replacing: "passwd_file = \"/etc/loft/passwd\"",
                with: "passwd_file = \"/etc/loft/passwd\"\nfailure_delay = \"20s\"",
                #"loft.toml: auth.failure_delay_max: must be at least failure_delay ("20s"), got 15s (the default)"#),
    ]

    static let durations: [Refusal] = ["10 min", "2", "1.5s", "-1s", "10M", "s", "", "1w", "9999999999s"].map { text in
        Refusal("duration \"\(text)\"", ConfigFixtures.minimal + "[limits]\nshutdown_grace = \"\(text)\"\n",
                #"loft.toml: limits.shutdown_grace: expected a duration like "500ms", "2s", "10m", "1h" or "5d", got ""#
                    + text + "\"")
    }

    static let sizes: [Refusal] = ["50 M", "50MB", "1.5M", "-1", "M", "", "1T", "9999999999999"].map { text in
        Refusal("size \"\(text)\"", ConfigFixtures.minimal + "[submission]\nmax_message_size = \"\(text)\"\n",
                #"loft.toml: submission.max_message_size: expected a size like "50M", "512K", "1G" or "1000" (bytes), got ""#
                    + text + "\"")
    }

    static let addresses: [Refusal] = [
        ("0.0.0.0:70000", #"the port must be a number from 0 to 65535, got "70000""#),
        ("0.0.0.0:-1", #"the port must be a number from 0 to 65535, got "-1""#),
        ("0.0.0.0:", #"the port must be a number from 0 to 65535, got """#),
        ("0.0.0.0:pop3", #"the port must be a number from 0 to 65535, got "pop3""#),
        ("0.0.0.0", #"expected an address and a port, like "0.0.0.0:110" or "[::]:110""#),
        ("::1:110", #"an IPv6 address must be in brackets, like "[::1]:110""#),
        ("[::1]110", #"missing the port after the address, like "0.0.0.0:110" or "[::]:110""#),
        ("[::1:110", #"missing "]" after the IPv6 address"#),
        ("[127.0.0.1]:110", #""127.0.0.1" is not an IPv6 address; listen on an IP address, like "0.0.0.0:110" or "[::]:110""#),
        ("mail.example.org:110", #""mail.example.org" is not an IP address; listen on an IP address, like "0.0.0.0:110" or "[::]:110""#),
        (":110", #""" is not an IP address; listen on an IP address, like "0.0.0.0:110" or "[::]:110""#),
        ("256.0.0.1:110", #""256.0.0.1" is not an IP address; listen on an IP address, like "0.0.0.0:110" or "[::]:110""#),
    ].map { text, reason in
        Refusal("address \(text)", replacing: "127.0.0.1:110", with: text,
                "loft.toml: listener[0].address: invalid address \"\(text)\": \(reason)")
    }

    @Test("unknown keys are refused, with the closest known key when it is a likely typo", arguments: unknownKeys)
    func unknownKey(_ refusal: Refusal) { expectRefused(refusal) }

    @Test("values of the wrong type are refused", arguments: wrongTypes)
    func wrongType(_ refusal: Refusal) { expectRefused(refusal) }

    @Test("missing required keys and an empty listener list are refused", arguments: missing)
    func missingKey(_ refusal: Refusal) { expectRefused(refusal) }

    @Test("out-of-range or inconsistent values are refused", arguments: invalidValues)
    func invalidValue(_ refusal: Refusal) { expectRefused(refusal) }

    @Test("malformed sizes are refused", arguments: sizes)
    func invalidSize(_ refusal: Refusal) { expectRefused(refusal) }

    @Test("malformed durations are refused", arguments: durations)
    func invalidDuration(_ refusal: Refusal) { expectRefused(refusal) }

    @Test("malformed listen addresses are refused", arguments: addresses)
    func invalidAddress(_ refusal: Refusal) { expectRefused(refusal) }

    @Test("an exact duplicate address names the listener that has it first")
    func duplicateAddress() {
        let text = ConfigFixtures.minimal.replacingOccurrences(of: "127.0.0.1:110", with: "0.0.0.0:110") + """
            [[listener]]
            protocol = "pop3"
            address = "[::]:110"
            tls = "none"
            [[listener]]
            protocol = "imap"
            address = "0.0.0.0:110"
            tls = "none"
            """
        expectRefused(Refusal("duplicate", text,
            "loft.toml: listener[2].address: duplicate address 0.0.0.0:110 (also used by listener[0])"))
    }

    @Test("IPv6 duplicates are found whatever the spelling")
    func duplicateIPv6Address() {
        let text = ConfigFixtures.minimal.replacingOccurrences(of: "127.0.0.1:110", with: "[::1]:110") + """
            [[listener]]
            protocol = "pop3"
            address = "[0:0::1]:110"
            tls = "none"
            """
        expectRefused(Refusal("duplicate", text,
            "loft.toml: listener[1].address: duplicate address [::1]:110 (also used by listener[0])"))
    }

    @Test("invalid TOML is reported with the file name, line and column")
    func invalidTOML() {
        let text = ConfigFixtures.minimal.replacingOccurrences(of: "data_dir = \"/var/lib/loft\"", with: "data_dir = /var/lib/loft")
        expectRefused(Refusal("invalid TOML", text,
            "loft.toml: invalid TOML at line 2, column 12: Error while parsing value: could not determine value type"))
    }

    @Test("the error's parts are available separately")
    func errorFields() throws {
        let text = ConfigFixtures.minimal + ConfigFixtures.tlsSection + "min_version = \"1.1\"\n"
        let error = try #require(throws: ConfigError.self) {
            try LoftConfiguration.parse(text, path: "/etc/loft/loft.toml")
        }
        #expect(error == ConfigError(
            file: "/etc/loft/loft.toml", key: "tls.min_version", problem: #"must be "1.2" or "1.3", got "1.1""#))
    }

    @Test("a missing file is named in the error")
    func missingFile() throws {
        let directory = try ConfigFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("absent.toml").path
        let error = try #require(throws: ConfigError.self) { try LoftConfiguration.load(path: path) }
        #expect(error.description == "\(path): cannot read the file: No such file or directory")
    }

    @Test("a directory given as the configuration file is refused")
    func directoryAsFile() throws {
        let directory = try ConfigFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(throws: ConfigError.self) { try LoftConfiguration.load(path: directory.path) }
        #expect(error.description == "\(directory.path): cannot read the file: not a regular file")
    }

    @Test("a file that is not UTF-8 is refused")
    func notUTF8() throws {
        let directory = try ConfigFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("loft.toml")
        try Data([0x68, 0x6F, 0x73, 0x74, 0xFF, 0xFE]).write(to: file)
        let error = try #require(throws: ConfigError.self) { try LoftConfiguration.load(path: file.path) }
        #expect(error.description == "\(file.path): the file is not valid UTF-8 text")
    }

    private func expectRefused(_ refusal: Refusal, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let config = try LoftConfiguration.parse(refusal.text, path: refusal.path)
            Issue.record("accepted: \(config)", sourceLocation: sourceLocation)
        } catch let error as ConfigError {
            #expect(error.description == refusal.expected, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }
}
