#if canImport(Glibc)
import Glibc
#endif

/// The account the server runs as once started: `user` from the config, or whoever started it.
/// Its groups are the ones `initgroups` gives it when privileges are dropped, so checks made as
/// this user see what the running server will see.
struct RunUser: Sendable, Equatable {
    var name: String
    var uid: uid_t
    /// The primary group (`getpwnam`).
    var gid: gid_t
    /// The primary group and every supplementary group, as `initgroups` sets them.
    var groups: [gid_t]

    /// The account `name` from the system's user database.
    static func named(_ name: String) throws -> RunUser {
        guard let entry = getpwnam(name) else {
            throw DataDirectoryError(PrivilegeDrop.noSuchUser(name))
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        return RunUser(name: name, uid: uid, gid: gid, groups: groupList(name, gid))
    }

    /// The account the process runs as now (effective ids).
    static func current() -> RunUser {
        let uid = geteuid()
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
        let filled = groups.isEmpty ? 0 : getgroups(Int32(groups.count), &groups)
        groups = Array(groups.prefix(Int(max(filled, 0))))
        return RunUser(name: userName(uid), uid: uid, gid: getegid(), groups: [getegid()] + groups)
    }

    var groupName: String { Self.groupName(gid) }

    /// Runs `body` with this user's groups, gid and uid as the effective credentials, then switches
    /// back to root. Only for a root process; every thread switches (glibc), so call it before the
    /// server starts any work of its own.
    func withEffectiveIDs<T>(_ body: () throws -> T) throws -> T {
        let savedUID = geteuid()
        let savedGID = getegid()
        let savedGroups = Self.currentSupplementaryGroups()
        guard setgroups(groups.count, groups) == 0 else {
            throw DataDirectoryError("cannot take on the groups of user \"\(name)\": \(Self.lastError())")
        }
        guard setegid(gid) == 0 else {
            let message = "cannot take on the group of user \"\(name)\": \(Self.lastError())"
            _ = setgroups(savedGroups.count, savedGroups)
            throw DataDirectoryError(message)
        }
        guard seteuid(uid) == 0 else {
            let message = "cannot switch to user \"\(name)\": \(Self.lastError())"
            _ = setegid(savedGID)
            _ = setgroups(savedGroups.count, savedGroups)
            throw DataDirectoryError(message)
        }
        let result = Result { try body() }
        guard seteuid(savedUID) == 0, setegid(savedGID) == 0, setgroups(savedGroups.count, savedGroups) == 0 else {
            throw DataDirectoryError("cannot switch back from user \"\(name)\": \(Self.lastError())")
        }
        return try result.get()
    }

    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid) else { return "uid \(uid)" }
        return String(cString: entry.pointee.pw_name)
    }

    static func groupName(_ gid: gid_t) -> String {
        guard let entry = getgrgid(gid) else { return "gid \(gid)" }
        return String(cString: entry.pointee.gr_name)
    }

    private static func groupList(_ name: String, _ gid: gid_t) -> [gid_t] {
        var count: Int32 = 32
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let wanted = count
            if getgrouplist(name, gid, &groups, &count) >= 0 {
                return Array(groups.prefix(Int(count)))
            }
            // Too small: `count` now says how many there are.
            count = max(count, wanted * 2)
        }
    }

    private static func currentSupplementaryGroups() -> [gid_t] {
        let count = getgroups(0, nil)
        guard count > 0 else { return [] }
        var groups = [gid_t](repeating: 0, count: Int(count))
        let filled = getgroups(count, &groups)
        return Array(groups.prefix(Int(max(filled, 0))))
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
