import Config
import Logging
import MailStore

/// A user's quota limits: the `[quota]` section, overridden by the passwd-file extra fields
/// `quota_storage=500M` and `quota_messages=20000` (`0` or `none`: no limit). A field that is not valid
/// is logged and the section's value applies.
enum UserQuota {
    static func limits(extraFields: [String], defaults: QuotaSettings, login: String, logger: Logger?) -> QuotaLimits {
        let (settings, problems) = defaults.limits(extraFields: extraFields)
        for problem in problems {
            logger?.warning("passwd-file quota field ignored", metadata: ["user": "\(login)", "field": "\(problem)"])
        }
        return QuotaLimits(storage: settings.storage.value.map(Int64.init), messages: settings.messages.value.map(Int64.init))
    }
}
