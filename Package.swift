// swift-tools-version:6.2
import PackageDescription

// Layers (see DESIGN.md): every edge points down, peers never import each other.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Loft",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex; Loft itself targets Linux (Glibc)
    products: [
        .executable(name: "loft", targets: ["loft"]),
        // For the fuzzer executables in Fuzz/ (a separate package, see FUZZING.md).
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        // Metrics: the swift-metrics API in the targets that count events; Prometheus (its backend and
        // text format) only in LoftServer, which serves /metrics.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Layer 0: C bindings, each imported by exactly one Swift target.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        // libunbound: validating DNS (DNSSEC) in-process; imported only by DNS. No pkgConfig:
        // bookworm's libunbound.pc requires libevent.pc, which libunbound-dev does not pull in, so
        // pkg-config fails and SwiftPM warns on every build; the header is in /usr/include and the
        // module map links -lunbound, which is all pkg-config would have given.
        .systemLibrary(name: "CUnbound", providers: [.apt(["libunbound-dev"])]),
        // zlib: raw DEFLATE for IMAP COMPRESS (RFC 4978); imported only by Deflate.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Layer 1
        // POSIXSupport: the POSIX file helpers (errors in the caller's type, whole-file reads, FileStamp,
        // text lines)
        // shared by MailStore, Delivery, Auth and Config. No dependencies.
        .target(name: "POSIXSupport", dependencies: [], swiftSettings: strict),
        .target(name: "LineProtocol", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ], swiftSettings: strict),

        // Layer 2
        .target(name: "TLS", dependencies: [
            "COpenSSL", "LineProtocol", "POSIXSupport",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: strict),
        .target(name: "Auth", dependencies: ["CCrypt", "POSIXSupport"], swiftSettings: strict),
        // Deflate: the COMPRESS=DEFLATE channel layer (RFC 4978) over zlib, with a cap on how many
        // connections compress at once. Protocol targets never import it; LoftServer inserts it.
        .target(name: "Deflate", dependencies: [
            "CZlib", "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: strict),
        // ProxyProtocol: the PROXY protocol header (HAProxy's v1 and v2) a TCP load balancer sends first,
        // its pure parser and the handler LoftServer puts first on a listener that expects it.
        .target(name: "ProxyProtocol", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: strict),
        .target(name: "MailStore", dependencies: ["POSIXSupport"], swiftSettings: strict),
        // MIME: RFC 5322 headers and addresses, the MIME tree, ENVELOPE / BODY / BODYSTRUCTURE wire text.
        // Pure functions over bytes; no dependencies.
        .target(name: "MIME", dependencies: [], swiftSettings: strict),
        .target(name: "Config", dependencies: [
            "POSIXSupport",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ], swiftSettings: strict),
        // DNS: MX, A/AAAA, TLSA and TXT lookups with their DNSSEC status, over libunbound.
        // Lookups block: callers run them on a thread pool.
        .target(name: "DNS", dependencies: ["CUnbound"], swiftSettings: strict),

        // Layer 3
        .target(name: "POP3", dependencies: [
            "LineProtocol", "MailStore", "Auth",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        .target(name: "SMTP", dependencies: [
            "LineProtocol", "Auth",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // Delivery: local fan-out, the spool, and the outbound queue with its SMTP client and TLS policy.
        .target(name: "Delivery", dependencies: [
            "MailStore", "POSIXSupport", "LineProtocol", "TLS", "DNS", "MIME", "Config",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ], swiftSettings: strict),
        // ACME: certificates from an RFC 8555 CA (client, JWS, challenges, renewal schedule), beside Delivery.
        // Crypto only through TLS, which owns OpenSSL.
        .target(name: "ACME", dependencies: [
            "TLS", "POSIXSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // IMAP: grammar, incremental command parser, FETCH/SEARCH over MIME, the session on the
        // connection skeleton; mailboxes through MailStore's shared coordinators.
        .target(name: "IMAP", dependencies: [
            "LineProtocol", "MailStore", "MIME", "Auth",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // PostgresUsers: the user database in PostgreSQL (postgres-nio's pooled client) behind Auth's
        // UserDatabase protocol; hashes are verified by Auth as for the passwd-file.
        .target(name: "PostgresUsers", dependencies: [
            "Auth", "Config",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // Layer 4
        .target(name: "LoftServer", dependencies: [
            "LineProtocol", "TLS", "Deflate", "ProxyProtocol", "Auth", "MailStore", "Config", "POP3", "SMTP", "IMAP", "Delivery", "DNS",
            "ACME",
            "PostgresUsers",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),
        .executableTarget(name: "loft", dependencies: [
            "LoftServer", "Auth", "Config", "Delivery", "TLS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // Test support at the top: one entry point per parser and session state machine, driven
        // by the libFuzzer executables in Fuzz/ and replayed over the corpus by FuzzCorpusTests.
        .target(name: "FuzzTargets", dependencies: [
            "POP3", "SMTP", "IMAP", "MIME", "Auth", "Config", "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: strict),

        // Tests (Swift Testing only).
        // What several test targets share: work runners for embedded channels, a seeded generator,
        // a DNSSEC-signed test zone served by a real nsd (TestDNSServer).
        // Works around a Foundation 6.3.1 crash in Process.run() for the whole test binary (see its .c file).
        .target(name: "CTestSpawnFix", path: "Tests/CTestSpawnFix"),
        .target(name: "TestSupport", dependencies: [
            "CTestSpawnFix",
            "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "LineProtocolTests", dependencies: [
            "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "TLSTests", dependencies: [
            "TestSupport",
            "TLS", "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "AuthTests", dependencies: ["Auth"], swiftSettings: strict),
        .testTarget(name: "ProxyProtocolTests", dependencies: [
            "ProxyProtocol", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "DeflateTests", dependencies: [
            "Deflate", "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "MailStoreTests", dependencies: ["MailStore", "POSIXSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "MIMETests", dependencies: ["MIME", "TestSupport"], exclude: ["Corpus"], swiftSettings: strict),
        .testTarget(name: "ConfigTests", dependencies: ["Config"], swiftSettings: strict),
        .testTarget(name: "DNSTests", dependencies: ["DNS", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "POP3Tests", dependencies: [
            "TestSupport",
            "POP3", "LineProtocol", "MailStore", "Auth",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "SMTPTests", dependencies: [
            "TestSupport",
            "SMTP", "LineProtocol", "Auth",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "IMAPTests", dependencies: [
            "TestSupport",
            "IMAP", "MIME", "MailStore", "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "DeliveryTests", dependencies: [
            "Delivery", "MailStore", "TLS", "DNS", "Config", "TestSupport", "LineProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "ACMETests", dependencies: [
            "ACME", "TLS", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzTargets"], swiftSettings: strict),
        .testTarget(name: "LoftTests", dependencies: [
            "TestSupport",
            "loft", "LoftServer", "Auth", "MailStore", "Config", "Delivery", "DNS", "TLS", "ACME",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
    ]
)
