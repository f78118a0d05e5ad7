extension ConfigParser {
    /// `[metrics]`: `listen = "127.0.0.1:9465"`, an address no `[[listener]]` uses.
    func parseMetrics(_ section: TableReader, listeners: [ListenerConfiguration]) -> MetricsSettings {
        section.rejectUnknownKeys(known: ["listen"], into: problems)
        var metrics = MetricsSettings()
        guard let text = attempt({ try section.string("listen") }) else { return metrics }
        do {
            metrics.listen = try ListenAddress(parsing: text)
        } catch {
            problems.record(section.error("listen", "invalid address \"\(text)\": \(error.reason)"))
            return metrics
        }
        // Port 0 asks the kernel for any free port, so it never collides.
        if metrics.listen.port != 0, let index = listeners.firstIndex(where: { $0.address == metrics.listen }) {
            problems.record(section.error("listen", "\(metrics.listen) is already the address of listener[\(index)]"))
        }
        return metrics
    }
}
