/// Where a message's file is: its directory and full file name (info part included).
struct MessageLocation: Sendable, Equatable {
    var directory: MaildirDirectory
    var fileName: String
}
