import IMAP
import Testing

@Suite("IMAPSequenceSet: members and contains (RFC 3501 §9)")
struct SequenceSetMembersTests {
    @Test func membersClipSortAndDeduplicate() {
        #expect(set(n(3), n(1), n(3), r(.number(2), .number(4))).members(upTo: 10) == [1, 2, 3, 4])
        #expect(set(r(.number(4), .number(2))).members(upTo: 10) == [2, 3, 4])  // reversed
        #expect(set(r(.number(8), .last)).members(upTo: 10) == [8, 9, 10])
        #expect(set(r(.last, .number(8))).members(upTo: 10) == [8, 9, 10])
        #expect(set(n(12), r(.number(9), .number(15))).members(upTo: 10) == [9, 10])  // past the end: dropped
        #expect(set(n(0)).members(upTo: 10) == [])
        #expect(set(r(.number(1), .number(2)), r(.number(3), .number(4))).members(upTo: 10) == [1, 2, 3, 4])
        #expect(set(n(UInt32.max), r(.number(1), .last)).members(upTo: 3) == [1, 2, 3])
    }

    @Test func starOnAnEmptyMailboxIsNothing() {
        #expect(set(r(.number(1), .last)).members(upTo: 0) == [])
        #expect(set(r(.number(1), .last)).contains(1, last: 0) == false)
        #expect(set(n(1)).members(upTo: 0) == [])
    }

    @Test func allOfALargeMailbox() {
        let members = set(r(.number(1), .last)).members(upTo: 100_000)
        #expect(members.count == 100_000)
        #expect(members.first == 1 && members.last == 100_000)
    }

    @Test func contains() {
        let s = set(n(2), r(.number(9), .number(5)), r(.number(20), .last))
        #expect(s.contains(2, last: 30))
        #expect(!s.contains(3, last: 30))
        #expect(s.contains(5, last: 30) && s.contains(7, last: 30) && s.contains(9, last: 30))
        #expect(s.contains(25, last: 30) && s.contains(30, last: 30))
        #expect(!s.contains(31, last: 30))
        // RFC 3501 §6.4.8: 20:* includes the last UID even when it is below 20.
        #expect(s.contains(15, last: 15))
        #expect(!s.contains(14, last: 15) && !s.contains(21, last: 15))
        #expect(set(IMAPSequenceRange(.last)).contains(15, last: 15))
        #expect(!set(IMAPSequenceRange(.last)).contains(14, last: 15))
    }
}
