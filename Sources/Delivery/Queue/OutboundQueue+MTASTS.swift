import DNS
import Foundation
import Logging
import NIOCore
import NIOPosix
import TLS

extension OutboundQueue {
    /// The MTA-STS policy cache with the queue's resolver (DNS on the thread pool) and TLS client context.
    static func makeMTASTSPolicyCache(
        directory: String, resolver: DNSResolver, tlsContext: TLSClientContext, group: any EventLoopGroup,
        threadPool: NIOThreadPool, logger: Logger, clock: @escaping @Sendable () -> Date
    ) -> MTASTSPolicyCache {
        let fetcher = MTASTSPolicyFetcher(tlsContext: tlsContext, group: group)
        return MTASTSPolicyCache(
            directory: directory, threadPool: threadPool, logger: logger, clock: clock,
            lookUpRecord: { domain in
                do {
                    let answer = try await threadPool.runIfActive { try resolver.txt("_mta-sts." + domain) }
                    if case .bogus(let why) = answer.status { return .failed("DNSSEC validation failed: \(why)") }
                    return MTASTSRecord.select(from: answer.records).map { .found(id: $0.id) } ?? .absent
                } catch {
                    return .failed("\(error)")
                }
            },
            fetchPolicy: { domain throws(MTASTSError) in
                let host = MTASTSPolicyFetcher.policyHost(of: domain)
                let addresses: [IPAddress]
                do {
                    addresses = try await threadPool.runIfActive {
                        // The certificate authenticates the policy host: its addresses need not be DNSSEC-secure,
                        // but a bogus answer is not used.
                        var found: [IPAddress] = []
                        for answer in [try resolver.ipv6(host), try resolver.ipv4(host)] {
                            if case .bogus(let why) = answer.status { throw FetchProblem(text: "DNSSEC validation of \(host) failed: \(why)") }
                            found += answer.records
                        }
                        return found
                    }
                } catch {
                    throw .fetchFailed("cannot look up \(host): \(error)")
                }
                return try await fetcher.fetchPolicy(domain: domain, addresses: addresses)
            })
    }
}
