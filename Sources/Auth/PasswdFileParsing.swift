extension PasswdFileUserDatabase {
    /// Parses passwd-file contents exactly as loading the file would, without touching the
    /// disk (for the fuzz targets and for checks of a file's text before it is installed).
    /// - Returns: the users sorted by login.
    /// - Throws: `PasswdFileError` naming `path` and the line of the first broken entry.
    public static func parseUsers(_ bytes: [UInt8], path: String, defaultDomain: String) throws(PasswdFileError) -> [UserRecord] {
        try PasswdFileParser.parse(bytes, path: path, defaultDomain: defaultDomain.lowercased())
            .values.sorted { $0.login < $1.login }
    }
}
