import Config

extension FuzzTargets {
    /// `LoftConfiguration.parse(_:path:)`: TOML (TOMLKit over toml++) and Loft's checks. An
    /// accepted configuration has its values within the documented ranges; a refusal is a
    /// `ConfigError` that names the file.
    public static func config(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        let path = "/etc/loft/loft.toml"
        let configuration: LoftConfiguration
        do {
            configuration = try LoftConfiguration.parse(text, path: path)
        } catch let error as ConfigError {
            precondition(error.file == path && !error.problem.isEmpty, "bad error: \(error)")
            return
        } catch {
            preconditionFailure("not a ConfigError: \(error)")
        }
        precondition(!configuration.hostname.isEmpty && !configuration.domain.isEmpty)
        precondition(configuration.dataDirectory.hasPrefix("/"), "data_dir not absolute: \(configuration.dataDirectory)")
        precondition(configuration.pop3.idleTimeout >= POP3Settings.minimumIdleTimeout)
        precondition(POP3Settings.maxLineLengthRange.contains(configuration.pop3.maxLineLength))
        precondition(configuration.submission.idleTimeout >= SubmissionSettings.minimumIdleTimeout)
        precondition(configuration.submission.maxMessageSize >= SubmissionSettings.minimumMaxMessageSize)
        precondition(SubmissionSettings.maxRecipientsRange.contains(configuration.submission.maxRecipients))
    }
}
