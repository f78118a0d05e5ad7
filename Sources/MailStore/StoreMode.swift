/// How STORE applies its flags (RFC 3501 section 6.4.6): `FLAGS`, `+FLAGS`, `-FLAGS`.
public enum StoreMode: Sendable {
    case replace, add, remove
}
