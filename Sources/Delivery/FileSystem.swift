import MailStore

/// The POSIX file calls of `MailStore`, reporting failures as `DeliveryError.system`.
typealias FileSystem = POSIXFile<DeliveryError>
