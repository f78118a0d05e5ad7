import Foundation
import Glibc
import MailStore
import Testing

@Suite("Start-up sweep of Maildir tmp/")
struct MaildirSweepTests {
    /// Writes `name` and sets its access and modification time `age` seconds back.
    private func file(_ path: String, age: Int, now: Int) throws {
        try writeFile(path, "partial")
        var times = [timeval(tv_sec: now - age, tv_usec: 0), timeval(tv_sec: now - age, tv_usec: 0)]
        #expect(utimes(path, &times) == 0)
    }

    @Test("files in tmp/ older than 36 hours go, younger ones (deliveries in progress) and messages stay")
    func oneMaildir() throws {
        try withTemporaryDirectory { root in
            let path = root + "/Maildir"
            let maildir = try Maildir.open(path: path)
            _ = try maildir.deliver(Array("Subject: kept\n\n".utf8))
            let now = Int(time(nil))
            try file(path + "/tmp/old", age: 36 * 3600 + 1, now: now)
            try file(path + "/tmp/young", age: 35 * 3600, now: now)
            #expect(try MaildirSweep.removeStaleTemporaryFiles(inMaildir: path, now: now) == 1)
            #expect(fileNames(in: path + "/tmp") == ["young"])
            #expect(fileNames(in: path + "/new").count == 1)
            #expect(try MaildirSweep.removeStaleTemporaryFiles(inMaildir: root + "/none", now: now) == 0)
        }
    }

    @Test("every Maildir under data_dir/mail/<domain>/<user>/Maildir and its folders is swept")
    func dataDirectory() throws {
        try withTemporaryDirectory { root in
            let alice = root + "/mail/example.org/alice/Maildir"
            let bob = root + "/mail/example.net/bob/Maildir"
            _ = try Maildir.open(path: alice)
            _ = try Maildir.open(path: bob)
            _ = try Maildir.open(path: alice + "/.Sent")
            try FileManager.default.createDirectory(atPath: root + "/mail/example.org/carol", withIntermediateDirectories: true)
            let now = Int(time(nil))
            let old = 37 * 3600
            try file(alice + "/tmp/a", age: old, now: now)
            try file(alice + "/.Sent/tmp/s", age: old, now: now)
            try file(bob + "/tmp/b", age: old, now: now)
            try file(bob + "/tmp/fresh", age: 10, now: now)
            let result = MaildirSweep.removeStaleTemporaryFiles(underDataDirectory: root, now: now)
            #expect(result.removed == 3)
            #expect(result.problems.isEmpty, "\(result.problems)")
            #expect(fileNames(in: alice + "/tmp").isEmpty)
            #expect(fileNames(in: alice + "/.Sent/tmp").isEmpty)
            #expect(fileNames(in: bob + "/tmp") == ["fresh"])
            #expect(MaildirSweep.removeStaleTemporaryFiles(underDataDirectory: root + "/none", now: now).removed == 0)
        }
    }
}
