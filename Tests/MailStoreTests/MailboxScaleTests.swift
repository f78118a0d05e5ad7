import Foundation
@testable import MailStore
import Testing

@Suite struct MailboxScaleTests {
    /// 100,000 messages: a cold open (no index: readdir, uidlist written, one stat per file) and a warm one
    /// (index present, Maildir unchanged: no readdir). Timings are printed, not asserted (DESIGN.md "Tests").
    /// Debug build, 2 busy cores, ext4: cold 53.7 s (mostly `Maildir.synchronize` numbering 100,000 new
    /// files), warm 0.55 s (reading and checking the 9 MB `loft-index`).
    /// Creating the files takes a while too, so it runs only with LOFT_SCALE_TESTS=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LOFT_SCALE_TESTS"] == "1"))
    func aHundredThousandMessageMailboxOpensWarmFromItsIndex() throws {
        try withTemporaryDirectory { base in
            let path = base + "/Maildir"
            try makeMaildir(path, count: 100_000)
            let clock = ContinuousClock()
            var cold: SharedMailbox?
            let registry = MailboxRegistry(cacheStamp: "v1")
            let coldTime = try clock.measure { cold = try registry.open(path: path) }
            #expect(cold?.state.messages.count == 100_000)
            registry.release(cold!)
            registry.shutdown()

            let warmRegistry = MailboxRegistry(cacheStamp: "v1")
            defer { warmRegistry.shutdown() }
            var warm: SharedMailbox?
            let warmTime = try clock.measure { warm = try warmRegistry.open(path: path) }
            #expect(warm?.rescanCount.load(ordering: .relaxed) == 0)
            #expect(warm?.state.messages.count == 100_000)
            print("100,000 messages: cold open \(coldTime), warm open \(warmTime)")
            warmRegistry.release(warm!)
        }
    }
}
