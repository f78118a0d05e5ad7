import Foundation
import MailStore
import Testing

@Suite struct KeywordTests {
    @Test func parsesAndWritesDovecotsFormat() {
        let table = MaildirKeywords(parsing: "0 $Forwarded\n1 work\n3 later\nbroken line\n30 tooFar\n")
        #expect(table.name(forLetter: "a") == "$Forwarded")
        #expect(table.name(forLetter: "b") == "work")
        #expect(table.name(forLetter: "c") == nil)
        #expect(table.name(forLetter: "d") == "later")
        #expect(table.letter(for: "later") == "d")
        #expect(table.names(forLetters: ["a", "c", "d"]) == ["$Forwarded", "later"])
        #expect(table.serialized() == "0 $Forwarded\n1 work\n3 later\n")
    }

    @Test func assignsFreeLettersUpToTwentySix() throws {
        var table = MaildirKeywords(parsing: "0 one\n2 three\n")
        #expect(try table.assignLetter(for: "two") == "b")
        #expect(try table.assignLetter(for: "one") == "a")
        #expect(try table.assignLetter(for: "four") == "d")
        for index in 4..<26 { _ = try table.assignLetter(for: "k\(index)") }
        #expect(table.letter(for: "k25") == "z")
        #expect(throws: MailboxError.keywordLimitReached(limit: 26)) { try table.assignLetter(for: "one-too-many") }
        #expect(throws: MailboxError.invalidKeyword("two words")) {
            var fresh = MaildirKeywords()
            _ = try fresh.assignLetter(for: "two words")
        }
        #expect(!MaildirKeywords.isValidName("\\Seen"))
        #expect(!MaildirKeywords.isValidName(""))
        #expect(MaildirKeywords.isValidName("$Junk"))
    }

    @Test func setsAndReadsKeywordsOfAMessage() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            _ = try maildir.deliver(Array("Subject: x\n\nbody\n".utf8))
            let message = try #require(try maildir.synchronize().messages.first)
            let tagged = try maildir.setFlags([.seen], keywords: ["work", "$Forwarded"], of: message)
            #expect(tagged.flags == [.seen])
            #expect(tagged.keywordLetters == ["a", "b"])
            #expect(tagged.fileName.hasSuffix(":2,Sab"))
            #expect(Set(try maildir.keywords(of: tagged)) == ["work", "$Forwarded"])
            // Sorted when assigned: $Forwarded (a), work (b).
            #expect(try readText(root + "/Maildir/dovecot-keywords") == "0 $Forwarded\n1 work\n")

            // The flag-only path (POP3, IMAP STORE FLAGS) keeps the keywords.
            let flagged = try maildir.setFlags([.seen, .flagged], of: tagged)
            #expect(flagged.fileName.hasSuffix(":2,FSab"))
            // Removing a keyword keeps its letter assigned in the file.
            let fewer = try maildir.setFlags([.seen], keywords: ["work"], of: flagged)
            #expect(fewer.fileName.hasSuffix(":2,Sb"))
            let again = try #require(try maildir.synchronize().messages.first)
            #expect(try maildir.keywords(of: again) == ["work"])
            #expect(try maildir.readKeywords().letter(for: "$Forwarded") == "a")
        }
    }

    @Test func refusesA27thKeywordWithoutChangingAnything() throws {
        try withTemporaryDirectory { root in
            let maildir = try Maildir.open(path: root + "/Maildir")
            _ = try maildir.deliver(Array("Subject: x\n\nbody\n".utf8))
            let message = try #require(try maildir.synchronize().messages.first)
            let all = Set((0..<26).map { "k\($0)" })
            let tagged = try maildir.setFlags([], keywords: all, of: message)
            #expect(tagged.keywordLetters.count == 26)
            #expect(throws: MailboxError.keywordLimitReached(limit: 26)) {
                try maildir.setFlags([], keywords: ["k0", "new"], of: tagged)
            }
            let unchanged = try #require(try maildir.synchronize().messages.first)
            #expect(unchanged.fileName == tagged.fileName)
        }
    }
}
