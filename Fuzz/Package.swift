// swift-tools-version:6.2
import Foundation
import PackageDescription

// The libFuzzer executables, one per target in Sources/FuzzTargets of the root package. A
// separate package so that `swift build` / `swift test` at the root never build them; they need
// `--sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address` (see FUZZING.md and scripts/fuzz.sh).
let targets = [
    "pop3-session", "smtp-session", "smtp-data", "sasl", "passwd", "config", "pop3-command", "smtp-command",
    "imap-parser", "mime",
]

// A path dependency's identity is its folder name, which differs between clones.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "LoftFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "FuzzTargets", package: root)],
            path: "Sources/\(name)",
            swiftSettings: [.treatAllWarnings(as: .error)])
    }
)
