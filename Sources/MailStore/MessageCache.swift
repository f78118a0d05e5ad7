import Synchronization

/// The per-message blobs the IMAP layer keeps (pre-rendered ENVELOPE / BODYSTRUCTURE), persisted as
/// `loft-cache` beside the index so a restart does not reparse. Valid for one `stamp` (the parser's
/// version) and one UIDVALIDITY; a file with another stamp, or damaged, is ignored.
///
/// ```
/// "LFTC" u32 version (1), u32 uidvalidity, u16 stamp length, stamp UTF-8
/// u32 count, per entry: u32 uid, u32 length, bytes
/// u64 checksum of everything before (`FileChecksum`)
/// ```
final class MessageCache: Sendable {
    private struct Contents {
        var blobs: [UInt32: [UInt8]] = [:]
        var changed = false
    }

    static let fileName = "loft-cache"
    private static let magic: [UInt8] = Array("LFTC".utf8)
    private static let version: UInt32 = 1

    private let path: String
    private let stamp: String
    private let contents = Mutex(Contents())

    init(maildir: String, stamp: String) {
        self.path = maildir + "/" + Self.fileName
        self.stamp = stamp
    }

    func blob(uid: UInt32) -> [UInt8]? {
        contents.withLock { $0.blobs[uid] }
    }

    func setBlob(_ blob: [UInt8], uid: UInt32) {
        contents.withLock { contents in
            contents.blobs[uid] = blob
            contents.changed = true
        }
    }

    func remove(uids: some Sequence<UInt32>) {
        contents.withLock { contents in
            for uid in uids where contents.blobs.removeValue(forKey: uid) != nil { contents.changed = true }
        }
    }

    /// Blocking. Reads the stored blobs of UIDs still in the mailbox.
    func load(uidValidity: UInt32, uids: [UInt32]) {
        guard let bytes = try? POSIX.readFile(path).bytes, var reader = ByteReader(checked: bytes) else { return }
        let present = Set(uids)
        var blobs: [UInt32: [UInt8]] = [:]
        do {
            guard Array(try reader.readBytes(4)) == Self.magic, try reader.read(UInt32.self) == Self.version,
                  try reader.read(UInt32.self) == uidValidity, try reader.readShortString() == stamp else { return }
            for _ in 0..<(try reader.read(UInt32.self)) {
                let uid = try reader.read(UInt32.self)
                let blob = Array(try reader.readBytes(Int(try reader.read(UInt32.self))))
                if present.contains(uid) { blobs[uid] = blob }
            }
        } catch {
            return
        }
        contents.withLock { $0.blobs.merge(blobs) { current, _ in current } }
    }

    /// Blocking. Writes the blobs when they changed since the last write (no fsync: rebuildable).
    func persistIfChanged(uidValidity: UInt32) throws {
        let blobs: [UInt32: [UInt8]]? = contents.withLock { contents in
            guard contents.changed else { return nil }
            contents.changed = false
            return contents.blobs
        }
        guard let blobs else { return }
        var writer = ByteWriter()
        writer.append(bytes: Self.magic)
        writer.append(Self.version)
        writer.append(uidValidity)
        writer.appendShortString(stamp)
        writer.append(UInt32(blobs.count))
        for (uid, blob) in blobs.sorted(by: { $0.key < $1.key }) {
            writer.append(uid)
            writer.append(UInt32(blob.count))
            writer.append(bytes: blob)
        }
        writer.appendChecksum()
        do {
            try MailboxIndexFile.writeReplacing(path, bytes: writer.bytes)
        } catch {
            contents.withLock { $0.changed = true }
            throw error
        }
    }
}
