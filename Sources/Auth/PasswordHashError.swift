/// Why `PasswordHash.make` could not produce a hash. Never contains the password.
public enum PasswordHashError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The password cannot be hashed (contains a NUL byte, or is longer than libcrypt accepts).
    case unusablePassword(String)
    /// libcrypt could not generate a salt/setting for the scheme.
    case saltGenerationFailed(PasswordScheme)
    /// libcrypt returned no hash for the scheme.
    case hashingFailed(PasswordScheme)

    public var description: String {
        switch self {
        case .unusablePassword(let reason): "password cannot be hashed: \(reason)"
        case .saltGenerationFailed(let scheme): "libcrypt could not generate a salt for \(scheme.rawValue)"
        case .hashingFailed(let scheme): "libcrypt could not hash the password with \(scheme.rawValue)"
        }
    }
}
