import POSIXSupport

/// The POSIX file calls of `POSIXSupport`, reporting failures as `DeliveryError.system`.
typealias FileSystem = POSIXFile<DeliveryError>
