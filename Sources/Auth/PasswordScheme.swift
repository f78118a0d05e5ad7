/// A password hashing scheme `PasswordHash.make` can produce; all of them are crypt(3) strings
/// that libcrypt verifies.
public enum PasswordScheme: String, Sendable, CaseIterable {
    /// yescrypt (`$y$`), libcrypt's preferred method, at libcrypt's default cost.
    case yescrypt
    /// SHA512-CRYPT (`$6$`), at libcrypt's default of 5000 rounds.
    case sha512crypt
    /// bcrypt (`$2b$`) at cost 12 (libcrypt's own default of 5 is too cheap).
    case bcrypt

    /// The crypt prefix passed to `crypt_gensalt_rn`.
    var gensaltPrefix: String {
        switch self {
        case .yescrypt: "$y$"
        case .sha512crypt: "$6$"
        case .bcrypt: "$2b$"
        }
    }

    /// The cost passed to `crypt_gensalt_rn`; 0 means libcrypt's default for the method.
    var gensaltCount: UInt {
        switch self {
        case .yescrypt, .sha512crypt: 0
        case .bcrypt: 12
        }
    }
}
