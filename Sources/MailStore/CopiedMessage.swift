/// A message on its way from one mailbox to another (`SharedMailbox.copy`): its record, its file, and its
/// keywords by name (letters differ between mailboxes).
struct CopiedMessage: Sendable {
    var record: MessageRecord
    var message: MaildirMessage
    var keywords: [String]
}
