import Delivery
import Glibc
import Logging
import MailStore

/// Removes what a crash left behind, once at start-up (blocking: runs from `LoftServer.init`, before any
/// listener is bound, off every event loop):
/// - files older than an hour in `<data_dir>/queue/tmp/`: no transaction of this process is in flight
///   yet, but another Loft process sharing the data directory may be writing one (a transaction takes
///   seconds);
/// - files older than 36 hours in the `tmp/` of every Maildir under `<data_dir>/mail/*/*/Maildir`
///   (and its folders), the Maildir convention; younger ones may be other programs' deliveries.
enum StartupSweep {
    static func run(dataDirectory: String, logger: Logger) {
        var anHourAgo = timespec()
        clock_gettime(CLOCK_REALTIME, &anHourAgo)
        anHourAgo.tv_sec -= 3600
        do {
            let removed = try Spool(dataDirectory: dataDirectory).removeTemporaryFiles(modifiedBefore: anHourAgo)
            logger.info("start-up sweep of queue/tmp", metadata: ["removed": "\(removed)"])
        } catch {
            logger.warning("start-up sweep of queue/tmp failed", metadata: ["error": "\(error)"])
        }
        let maildirs = MaildirSweep.removeStaleTemporaryFiles(underDataDirectory: dataDirectory)
        logger.info("start-up sweep of Maildir tmp/", metadata: ["removed": "\(maildirs.removed)"])
        for problem in maildirs.problems {
            logger.warning("start-up sweep of Maildir tmp/", metadata: ["error": "\(problem)"])
        }
    }
}
