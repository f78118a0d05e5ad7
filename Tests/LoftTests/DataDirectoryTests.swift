import Foundation
import Testing
@testable import LoftServer

/// The data directory layout, who it belongs to, and the start-up check's walk and messages. The check is
/// driven here by an emulated permission test (this process stays root; switching its credentials would
/// disturb tests running beside it); the end-to-end tests run it for real as nobody.
@Suite struct DataDirectoryTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loft-datadir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return path
    }

    static func status(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    static var nobody: RunUser { get throws { try RunUser.named("nobody") } }

    /// What the kernel would answer for `user`, from the owner, group and mode bits (no ACLs), including
    /// the search permission on every directory above the path.
    static func emulatedAccess(for user: RunUser) -> (String, Int32) -> Int32 {
        { path, mode in
            func allows(_ path: String, _ mode: Int32) -> Bool {
                var status = stat()
                guard stat(path, &status) == 0 else { return false }
                let bits: mode_t = status.st_uid == user.uid ? (status.st_mode >> 6) & 7
                    : user.groups.contains(status.st_gid) ? (status.st_mode >> 3) & 7 : status.st_mode & 7
                return mode_t(mode) & bits == mode_t(mode)
            }
            var partial = ""
            for component in path.split(separator: "/").dropLast() {
                partial += "/" + component
                if !allows(partial, X_OK) { return EACCES }
            }
            var status = stat()
            guard stat(path, &status) == 0 else { return ENOENT }
            return allows(path, mode) ? 0 : EACCES
        }
    }

    static func check(_ root: String, as user: RunUser) -> String? {
        DataDirectoryCheck(layout: DataDirectoryLayout(root: root), user: user, access: emulatedAccess(for: user)).firstProblem()
    }

    @Test("the layout is data_dir, mail, queue and the spool's queue directories")
    func layoutDirectories() {
        let layout = DataDirectoryLayout(root: "/var/lib/loft/")
        #expect(layout.directories == ["/var/lib/loft", "/var/lib/loft/mail", "/var/lib/loft/queue", "/var/lib/loft/queue/tmp",
                                       "/var/lib/loft/queue/messages", "/var/lib/loft/queue/envelopes"])
    }

    @Test("a fresh data_dir (and its missing parents) is created; the layout is nobody's, mode 0700", .enabled(if: geteuid() == 0))
    func freshLayoutBelongsToUser() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let nobody = try Self.nobody
        let layout = DataDirectoryLayout(root: base + "/srv/loft")
        try layout.create(owner: nobody)
        let parent = try #require(Self.status(base + "/srv"))
        #expect(parent.st_uid == 0 && parent.st_mode & 0o7777 == 0o755 & ~Self.umask)
        for path in layout.directories {
            let status = try #require(Self.status(path), "\(path)")
            #expect(status.st_uid == nobody.uid && status.st_gid == nobody.gid && status.st_mode & 0o7777 == 0o700, "\(path)")
        }
        #expect(Self.check(layout.root, as: nobody) == nil)
        // Again: nothing to do, nothing changes.
        try layout.create(owner: nobody)
        #expect(Self.status(layout.queue)?.st_uid == nobody.uid)
    }

    static var umask: mode_t {
        let old = Glibc.umask(0o022)
        Glibc.umask(old)
        return old
    }

    @Test("root-owned layout directories are given to the user; what is inside mail/ is not", .enabled(if: geteuid() == 0))
    func takesOverRootOwnedLayout() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let nobody = try Self.nobody
        let root = base + "/data"
        let maildir = root + "/mail/example.org/alice/Maildir"
        try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.createDirectory(atPath: root + "/queue/tmp", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        try DataDirectoryLayout(root: root).create(owner: nobody)
        for path in [root, root + "/mail", root + "/queue", root + "/queue/tmp", root + "/queue/messages"] {
            #expect(Self.status(path)?.st_uid == nobody.uid, "\(path)")
        }
        // An existing directory keeps its mode.
        #expect(Self.status(root + "/queue/tmp").map { $0.st_mode & 0o7777 } == 0o750)
        for path in [root + "/mail/example.org", maildir] {
            #expect(Self.status(path)?.st_uid == 0, "\(path)")
        }
        let problem = try #require(Self.check(root, as: nobody))
        #expect(problem == "data_dir: \(root)/mail/example.org is owned by root:root (mode 0700); user \"nobody\" cannot write to it. "
            + "Fix: chown -R nobody:\(nobody.groupName) \(root)")
    }

    @Test("an existing root-owned data_dir with other content is not given away", .enabled(if: geteuid() == 0))
    func foreignDirectoryKept() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let nobody = try Self.nobody
        let root = base + "/lib"
        try FileManager.default.createDirectory(atPath: root + "/dpkg", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try DataDirectoryLayout(root: root).create(owner: nobody)
        #expect(Self.status(root)?.st_uid == 0)
        #expect(Self.status(root + "/mail")?.st_uid == nobody.uid)
        let problem = try #require(Self.check(root, as: nobody))
        #expect(problem.hasPrefix("data_dir: \(root) is owned by root:root (mode 0755); user \"nobody\" cannot write to it."))
    }

    @Test("a layout directory that is a symbolic link is not followed", .enabled(if: geteuid() == 0))
    func symbolicLinkNotFollowed() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let nobody = try Self.nobody
        let root = base + "/data"
        let elsewhere = base + "/elsewhere"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.createSymbolicLink(atPath: root + "/queue", withDestinationPath: elsewhere)
        try DataDirectoryLayout(root: root).create(owner: nobody)
        #expect(Self.status(elsewhere)?.st_uid == 0)
        #expect(Self.status(elsewhere + "/tmp") == nil)
        #expect(Self.status(root)?.st_uid == nobody.uid)
        let problem = try #require(Self.check(root, as: nobody))
        #expect(problem.contains("\(root)/queue is owned by root:root (mode 0700)"), "\(problem)")
    }

    @Test("a file where a layout directory belongs is an error naming it")
    func fileInTheWay() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/data", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: base + "/data/mail"))
        #expect {
            try DataDirectoryLayout(root: base + "/data").create(owner: nil)
        } throws: { error in
            "\(error)" == "data_dir: \(base)/data/mail is not a directory"
        }
    }

    @Test("without a user the layout is created for the current user and passes the check")
    func currentUser() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let layout = DataDirectoryLayout(root: base + "/a/b")
        try layout.create(owner: nil)
        for path in layout.directories {
            #expect(Self.status(path)?.st_uid == geteuid(), "\(path)")
        }
        #expect(DataDirectoryCheck(layout: layout, user: .current()).firstProblem() == nil)
    }

    @Test("a Maildir, its tmp/new/cur and its uidlist are checked", arguments: ["Maildir", "Maildir/tmp", "Maildir/new", "Maildir/cur", "Maildir/dovecot-uidlist"])
    func maildirChecked(_ denied: String) throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let layout = DataDirectoryLayout(root: base + "/data")
        try layout.create(owner: nil)
        let mailbox = layout.mail + "/example.org/alice"
        for name in ["tmp", "new", "cur"] {
            try FileManager.default.createDirectory(atPath: mailbox + "/Maildir/" + name, withIntermediateDirectories: true)
        }
        try Data("3 V1 N1\n".utf8).write(to: URL(fileURLWithPath: mailbox + "/Maildir/dovecot-uidlist"))
        let deniedPath = mailbox + "/" + denied
        var visited: [String] = []
        let check = DataDirectoryCheck(layout: layout, user: .current()) { path, _ in
            visited.append(path)
            return path == deniedPath ? EACCES : 0
        }
        let problem = try #require(check.firstProblem())
        #expect(problem.hasPrefix("data_dir: \(deniedPath) is owned by "), "\(problem)")
        #expect(visited.contains(layout.mail + "/example.org") && visited.contains(mailbox))
    }

    @Test("a directory above data_dir the user may not enter is named, with its owner and mode")
    func unreachableParent() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let layout = DataDirectoryLayout(root: base + "/data")
        try layout.create(owner: nil)
        let user = RunUser(name: "vmail", uid: 12345, gid: 12345, groups: [12345])
        let check = DataDirectoryCheck(layout: layout, user: user) { path, mode in
            path == base && mode == X_OK ? EACCES : path.hasPrefix(base + "/") ? EACCES : 0
        }
        let problem = try #require(check.firstProblem())
        let owner = RunUser.userName(geteuid())
        #expect(problem.hasPrefix("data_dir: user \"vmail\" cannot reach \(layout.root): \(base) is owned by \(owner):"), "\(problem)")
        #expect(problem.contains("(mode 0755)") && problem.contains("Fix: chmod o+x \(base)"), "\(problem)")
    }

    @Test("a read-only file system is named as such")
    func readOnly() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let layout = DataDirectoryLayout(root: base + "/data")
        try layout.create(owner: nil)
        let check = DataDirectoryCheck(layout: layout, user: .current()) { path, _ in path == layout.mail ? EROFS : 0 }
        #expect(check.firstProblem() == "data_dir: \(layout.mail) is on a read-only file system; user \"\(RunUser.current().name)\" cannot write to it")
    }

    @Test("users: groups as initgroups gives them; an unknown user is named")
    func runUser() throws {
        let nobody = try Self.nobody
        #expect(nobody.uid == getpwnam("nobody")!.pointee.pw_uid)
        #expect(nobody.groups.contains(nobody.gid))
        #expect(throws: DataDirectoryError.self) { try RunUser.named("no-such-user-loft") }
        #expect(DataDirectoryCheck.octal(0o40700) == "0700" && DataDirectoryCheck.octal(0o2750) == "2750")
    }
}
