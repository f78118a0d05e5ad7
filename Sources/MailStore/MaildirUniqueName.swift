import Foundation
import Glibc
import POSIXSupport

/// Unique names for files delivered into a Maildir, in the convention Dovecot follows
/// (https://cr.yp.to/proto/maildir.html): `<secs>.M<usecs>P<pid><unique part>.<host>`, the host name with
/// `/`, `:` and `,` escaped.
public enum MaildirUniqueName {
    /// `<secs>.M<usecs>P<pid>V<dev>I<inode>.<host>`, for a file being delivered whose device and inode are
    /// `device` and `inode` (hexadecimal in the name). The file must stay open (or linked) while the name is
    /// in use, so no other delivery on this host can hold the same pair at that moment; seconds and
    /// microseconds separate files that reuse an inode later.
    public static func make(device: UInt64, inode: UInt64) -> String {
        let (seconds, microseconds) = POSIX.now()
        let dev = String(device, radix: 16, uppercase: true)
        let ino = String(inode, radix: 16, uppercase: true)
        return "\(seconds).M\(microseconds)P\(getpid())V\(dev)I\(ino).\(hostName)"
    }

    /// `<secs>.M<usecs>P<pid>Q<counter>.<host>`, unique per process through the counter and across processes
    /// and machines through pid and host name; for a name needed before the file exists.
    static func makeSequential() -> String {
        let (seconds, microseconds) = POSIX.now()
        let counter = deliveryCounter.withLock { value -> UInt64 in
            value += 1
            return value
        }
        return "\(seconds).M\(microseconds)P\(getpid())Q\(counter).\(hostName)"
    }

    /// The file name in `new/`: `uniqueName` with Dovecot's `,S=<size>,W=<virtual size>` fields.
    public static func withSizes(_ uniqueName: String, size: Int, virtualSize: Int) -> String {
        "\(uniqueName),S=\(size),W=\(virtualSize)"
    }

    private static let deliveryCounter = LockedValue<UInt64>(0)

    /// The host name with `/`, `:` and `,` escaped as `\057`, `\072` and `\054` (Maildir convention; the comma
    /// so it cannot be mistaken for a size field).
    private static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let raw = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "localhost"
        return raw.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
            .replacingOccurrences(of: ",", with: "\\054")
    }()
}
