import DNS
import Foundation
import Synchronization
import Testing

/// One resolver shared by threads that all look things up at once, as the delivery pool does.
@Suite struct ConcurrentLookupTests {
    @Test func eightThreadsGetTheirOwnAnswers() throws {
        try TestZones.withServer { server in
            let resolver = try TestZones.resolver(for: server)
            let failures = Mutex<[String]>([])
            let done = DispatchGroup()
            for thread in 0..<8 {
                done.enter()
                Thread.detachNewThread {
                    defer { done.leave() }
                    for round in 0..<15 {
                        let problem = Self.lookUpOne(resolver, kind: (thread + round) % 5)
                        if let problem { failures.withLock { $0.append("thread \(thread) round \(round): \(problem)") } }
                    }
                }
            }
            #expect(done.wait(timeout: .now() + 60) == .success)
            failures.withLock { #expect($0.isEmpty, "\($0)") }
        }
    }

    /// One lookup of one of five kinds, checked against the zone; a description of what was wrong.
    private static func lookUpOne(_ resolver: DNSResolver, kind: Int) -> String? {
        do {
            switch kind {
            case 0:
                let answer = try resolver.mx("example.test")
                if answer.records.map(\.host) != ["mx0.example.test", "mx1.example.test", "mx2.example.test"]
                    || answer.status != .secure { return "MX \(answer)" }
            case 1:
                let answer = try resolver.ipv4("mx2.example.test")
                if answer.records != [.v4(0xC000_0202)] || answer.status != .secure { return "A \(answer)" }
            case 2:
                let answer = try resolver.ipv6("mx1.example.test")
                if answer.records.map(\.description) != ["2001:db8::1"] || answer.status != .secure {
                    return "AAAA \(answer)"
                }
            case 3:
                let answer = try resolver.mx("unsigned.test")
                if answer.records.map(\.host) != ["mail.unsigned.test"] || answer.status != .insecure {
                    return "unsigned MX \(answer)"
                }
            default:
                let answer = try resolver.ipv4("nowhere.example.test")
                if answer.nameExists || answer.status != .secure { return "NXDOMAIN \(answer)" }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }
}
