import Glibc
import POSIXSupport

/// A new message file in a Maildir's `tmp/` under a fresh unique name (Maildir spec: a name
/// that exists already is not reused; a few tries, then the error stands).
enum MaildirTemporaryFile {
    static func create(inMaildir maildirPath: String) throws -> (file: StreamingMessageFile<MailStoreError>, uniqueName: String) {
        var attempt = 0
        while true {
            let name = MaildirUniqueName.makeSequential()
            do {
                return (try StreamingMessageFile<MailStoreError>(creatingAt: maildirPath + "/tmp/" + name), name)
            } catch MailStoreError.system(_, _, EEXIST) where attempt < 10 {
                attempt += 1
            }
        }
    }
}
