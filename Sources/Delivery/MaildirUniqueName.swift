import Foundation
import Glibc

/// Maildir unique names for delivered files, `<secs>.M<usecs>P<pid>V<dev>I<inode>.<host>` in the
/// convention Dovecot follows (https://cr.yp.to/proto/maildir.html): device and inode are those of the
/// queue file being delivered, which stays open for the whole commit, so no other delivery on this host can
/// use the same pair at that moment; seconds and microseconds separate files that reuse an inode later.
enum MaildirUniqueName {
    static func make(device: UInt64, inode: UInt64) -> String {
        let (seconds, microseconds) = FileSystem.now()
        let dev = String(device, radix: 16, uppercase: true)
        let ino = String(inode, radix: 16, uppercase: true)
        return "\(seconds).M\(microseconds)P\(getpid())V\(dev)I\(ino).\(hostName)"
    }

    /// The file name in `new/`: the unique name with Dovecot's `,S=<size>,W=<virtual size>` fields.
    static func withSizes(_ uniqueName: String, size: Int, virtualSize: Int) -> String {
        "\(uniqueName),S=\(size),W=\(virtualSize)"
    }

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
