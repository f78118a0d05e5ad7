/// The `[delivery]` section: which recipient domains are delivered into local Maildirs.
public struct DeliverySettings: Sendable, Equatable {
    /// Mail for these domains goes to local Maildirs; everything else goes to the outbound queue.
    /// Lowercased host names, never empty in a loaded configuration (default: `[domain]`).
    public var localDomains: [String]

    public init(localDomains: [String]) {
        self.localDomains = localDomains
    }
}
