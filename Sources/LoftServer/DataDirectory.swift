import Config
#if canImport(Glibc)
import Glibc
#endif

/// `data_dir` at start-up, before any port is bound: lay it out for the user the server will run as, then
/// make sure that user can write everything Loft writes there.
enum DataDirectory {
    /// With `user` set and started as root: creates the layout owned by that user (and takes over
    /// root-owned layout directories), then checks it with that user's uid, gid and groups in effect.
    /// Without `user`: creates what is missing and checks as the current user.
    /// - Throws: `DataDirectoryError`, one line naming the path, its owner and mode, and the user.
    static func prepare(_ configuration: LoftConfiguration) throws {
        let layout = DataDirectoryLayout(root: configuration.dataDirectory)
        let user: RunUser
        let owner: RunUser?
        if let name = configuration.user {
            // Not root: the privilege drop refuses to start, with its own message.
            guard geteuid() == 0 else { return }
            user = try RunUser.named(name)
            owner = user
        } else {
            user = .current()
            owner = nil
        }
        let check = {
            let check = DataDirectoryCheck(layout: layout, user: user)
            return try owner == nil ? check.firstProblem() : user.withEffectiveIDs { check.firstProblem() }
        }
        do {
            try layout.create(owner: owner)
        } catch let error as DataDirectoryError where error.isPermissionDenied {
            // Say whose directory is in the way, and what to do about it.
            throw try check().map { DataDirectoryError($0) } ?? error
        }
        if let problem = try check() { throw DataDirectoryError(problem) }
    }
}
