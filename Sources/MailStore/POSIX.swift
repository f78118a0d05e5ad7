import POSIXSupport

/// The store's own calls report `MailStoreError.system`.
typealias POSIX = POSIXFile<MailStoreError>
