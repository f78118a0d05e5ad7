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
            throw Failure(description: "user = \"\(user)\": dropping privileges needs the server to start as root")
        }
        guard let entry = getpwnam(user) else {
            throw Failure(description: "user = \"\(user)\": no such user on this system")
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        guard initgroups(user, gid) == 0 else { throw failure("initgroups") }
        guard setgid(gid) == 0 else { throw failure("setgid") }
        guard setuid(uid) == 0 else { throw failure("setuid") }
        // Being able to get root back would defeat the point.
        guard setuid(0) != 0 else { throw Failure(description: "user = \"\(user)\": root could be regained after setuid") }
    }

    private static func failure(_ call: String) -> Failure {
        Failure(description: "\(call) failed: \(String(cString: strerror(errno)))")
    }
}
