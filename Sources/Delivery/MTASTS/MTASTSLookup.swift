public import DNS

extension MTASTSRecordLookup {
    /// Looks up `_mta-sts.<domain>` and picks the domain's record from the TXT strings (RFC 8461 §3.1); a bogus
    /// answer is a failed lookup. Blocking (DNS): run it on a thread pool.
    /// - Returns: the outcome, and the answer it was read from (nil when the lookup itself failed), for reports.
    public static func lookUp(domain: String, resolver: DNSResolver) -> (lookup: MTASTSRecordLookup, answer: DNSAnswer<String>?) {
        let answer: DNSAnswer<String>
        do {
            answer = try resolver.txt("_mta-sts." + domain)
        } catch {
            return (.failed("\(error)"), nil)
        }
        if case .bogus(let why) = answer.status { return (.failed("DNSSEC validation failed: \(why)"), answer) }
        return (MTASTSRecord.select(from: answer.records).map { .found(id: $0.id) } ?? .absent, answer)
    }
}

extension MTASTSPolicyFetcher {
    /// The addresses of the policy host `mta-sts.<domain>`, IPv6 first. The certificate authenticates the policy
    /// host, so its addresses need not be DNSSEC-secure, but a bogus answer is not used. Blocking (DNS).
    /// - Throws: `MTASTSError.fetchFailed` saying why the host cannot be looked up.
    public static func policyHostAddresses(of domain: String, resolver: DNSResolver) throws(MTASTSError) -> [IPAddress] {
        let host = policyHost(of: domain)
        var found: [IPAddress] = []
        do {
            for answer in [try resolver.ipv6(host), try resolver.ipv4(host)] {
                if case .bogus(let why) = answer.status {
                    throw MTASTSError.fetchFailed("cannot look up \(host): DNSSEC validation of \(host) failed: \(why)")
                }
                found += answer.records
            }
        } catch let error as MTASTSError {
            throw error
        } catch {
            throw .fetchFailed("cannot look up \(host): \(error)")
        }
        return found
    }
}
