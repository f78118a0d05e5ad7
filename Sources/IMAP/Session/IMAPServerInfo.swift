/// Facts about this IMAP implementation that other parts of the server need.
public enum IMAPServerInfo {
    /// Stamps the per-message cache (pre-rendered ENVELOPE / BODYSTRUCTURE): change it whenever
    /// the MIME parser or the renderer changes what they produce, and every cache is rebuilt
    /// (never UIDVALIDITY).
    public static let cacheStamp = "loft-imap-cache-1"
}
