import DNS
import Foundation
import Logging
import NIOCore
import NIOPosix
import TLS

extension OutboundQueue {
    /// The MTA-STS policy cache (under `<queueDirectory>/mta-sts/`) with the queue's resolver (DNS on the thread
    /// pool) and TLS client context.
    static func makeMTASTSPolicyCache(
        queueDirectory: String, resolver: DNSResolver, tlsContext: TLSClientContext, group: any EventLoopGroup,
        threadPool: NIOThreadPool, logger: Logger, clock: @escaping @Sendable () -> Date
    ) -> MTASTSPolicyCache {
        let fetcher = MTASTSPolicyFetcher(tlsContext: tlsContext, group: group)
        return MTASTSPolicyCache(
            directory: MTASTSPolicyStore(queueDirectory: queueDirectory).directory, threadPool: threadPool, logger: logger,
            clock: clock,
            lookUpRecord: { domain in
                do {
                    return try await threadPool.runIfActive { MTASTSRecordLookup.lookUp(domain: domain, resolver: resolver).lookup }
                } catch {
                    return .failed("\(error)")
                }
            },
            fetchPolicy: { domain throws(MTASTSError) in
                let addresses: [IPAddress]
                do {
                    addresses = try await threadPool.runIfActive { try MTASTSPolicyFetcher.policyHostAddresses(of: domain, resolver: resolver) }
                } catch let error as MTASTSError {
                    throw error
                } catch {
                    throw .fetchFailed("cannot look up \(MTASTSPolicyFetcher.policyHost(of: domain)): \(error)")
                }
                return try await fetcher.fetchPolicy(domain: domain, addresses: addresses)
            })
    }
}
