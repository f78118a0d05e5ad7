import IMAP
import Testing

/// SORT, UID SORT (with ESORT's RETURN) and THREAD commands, fed whole, byte by byte and in random pieces.
@Suite("IMAP command parser: SORT and THREAD")
struct SortParserTests {
    static let cases: [ParseCase] = [
        ParseCase("a SORT (DATE) UTF-8 ALL\r\n",
                  command("a", .sort(IMAPSortCommand(criteria: [IMAPSortCriterion(.date)],
                                                     search: IMAPSearchCommand(charset: "UTF-8", key: .all)), uid: false))),
        // RFC 5256 §3 example.
        ParseCase("A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n",
                  command("A283", .sort(IMAPSortCommand(
                      criteria: [IMAPSortCriterion(.subject), IMAPSortCriterion(.date, reverse: true)],
                      search: IMAPSearchCommand(charset: "UTF-8", key: .all)), uid: false))),
        ParseCase("A285 uid sort (reverse arrival size cc from to displayfrom displayto) \"US-ASCII\" SUBJECT {5+}\r\nhello UNSEEN\r\n",
                  command("A285", .sort(IMAPSortCommand(
                      criteria: [IMAPSortCriterion(.arrival, reverse: true), IMAPSortCriterion(.size), IMAPSortCriterion(.cc),
                                 IMAPSortCriterion(.from), IMAPSortCriterion(.to), IMAPSortCriterion(.displayFrom),
                                 IMAPSortCriterion(.displayTo)],
                      search: IMAPSearchCommand(charset: "US-ASCII", key: .and([.subject(Array("hello".utf8)), .unseen]))),
                      uid: true))),
        // RFC 5267 §3 ESORT.
        ParseCase("E01 UID SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 UNDELETED\r\n",
                  command("E01", .sort(IMAPSortCommand(
                      criteria: [IMAPSortCriterion(.date)],
                      search: IMAPSearchCommand(charset: "UTF-8", key: .undeleted, returnOptions: [.min, .max, .count, .all])),
                      uid: true))),
        ParseCase("E02 SORT RETURN () (SIZE) UTF-8 1:5\r\n",
                  command("E02", .sort(IMAPSortCommand(
                      criteria: [IMAPSortCriterion(.size)],
                      search: IMAPSearchCommand(charset: "UTF-8", key: .sequenceSet(set(r(.number(1), .number(5)))),
                                                returnOptions: [])), uid: false))),
        ParseCase("A284 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n",
                  command("A284", .thread(IMAPThreadCommand(
                      algorithm: .orderedSubject,
                      search: IMAPSearchCommand(charset: "UTF-8", key: .since(IMAPDate(year: 2000, month: 3, day: 5)))), uid: false))),
        ParseCase("t UID THREAD references us-ascii ALL UNSEEN\r\n",
                  command("t", .thread(IMAPThreadCommand(
                      algorithm: .references,
                      search: IMAPSearchCommand(charset: "us-ascii", key: .and([.all, .unseen]))), uid: true))),
        // Errors: BAD with the tag, the next command still read.
        ParseCase("a SORT DATE UTF-8 ALL\r\nb NOOP\r\n",
                  .error(tag: "a", IMAPParseError(.syntax, "Expected \"(\" before the sort criteria")), command("b", .noop)),
        ParseCase("a SORT (NAME) UTF-8 ALL\r\n", .error(tag: "a", IMAPParseError(.syntax, "Unknown sort key NAME"))),
        ParseCase("a SORT (REVERSE) UTF-8 ALL\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a space"))),
        ParseCase("a SORT () UTF-8 ALL\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a keyword"))),
        ParseCase("a SORT (DATE) ALL\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a space"))),
        ParseCase("a THREAD JWZ UTF-8 ALL\r\n", .error(tag: "a", IMAPParseError(.syntax, "Unknown threading algorithm JWZ"))),
        ParseCase("a THREAD REFERENCES ALL\r\n", .error(tag: "a", IMAPParseError(.syntax, "Expected a space"))),
    ]

    @Test("SORT and THREAD parse the same however the bytes arrive", arguments: cases)
    func table(_ testCase: ParseCase) {
        checkAllSplits(testCase)
    }
}
