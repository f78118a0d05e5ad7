/// What a FETCH needs loaded for each message, from least to most.
public enum IMAPFetchNeeds: Comparable, Sendable {
    /// FLAGS, UID, INTERNALDATE, RFC822.SIZE: the index is enough.
    case metadata
    /// Only whole-message sections (BODY[], BODY.PEEK[], RFC822): the file may be streamed as it is.
    case wholeMessageOnly
    /// Anything that needs the parsed message (ENVELOPE, BODY, BODYSTRUCTURE, other sections).
    case content
}
