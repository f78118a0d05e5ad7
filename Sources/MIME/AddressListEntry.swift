/// An element of an RFC 5322 §3.4 `address-list`: a mailbox, or a group with its members.
public enum AddressListEntry: Sendable, Hashable {
    case mailbox(IMAPAddress)
    case group(name: [UInt8], members: [IMAPAddress])
}
