#if canImport(Glibc)
import Glibc
#endif

/// After the ports are bound, a server started as root runs on as `user` (its uid, its
/// primary gid and its supplementary groups), as Postfix and Dovecot do.
enum PrivilegeDrop {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func drop(to user: String) throws {
        guard geteuid() == 0 else {
            throw Failure(description: "user = \"\(user)\": only root can switch to another user; "
                + "start loft as root, or remove user from the config to run as yourself")
        }
        guard let entry = getpwnam(user) else {
            throw Failure(description: noSuchUser(user))
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        guard initgroups(user, gid) == 0 else { throw failure(user, "cannot take on its groups") }
        guard setgid(gid) == 0 else { throw failure(user, "cannot switch to its group") }
        guard setuid(uid) == 0 else { throw failure(user, "cannot switch to it") }
        // Being able to get root back would defeat the point.
        guard setuid(0) != 0 else {
            throw Failure(description: "user = \"\(user)\": root could be taken back after switching to this user; "
                + "name an ordinary, unprivileged account")
        }
    }

    static func noSuchUser(_ user: String) -> String {
        "user = \"\(user)\": no such user on this system; create it (useradd --system \(user)) or name an existing one"
    }

    private static func failure(_ user: String, _ what: String) -> Failure {
        Failure(description: "user = \"\(user)\": \(what): \(String(cString: strerror(errno)))")
    }
}
