import Glibc
import POSIXSupport

/// The `loft-index` file beside `dovecot-uidlist`: a `MailboxIndex` in compact little-endian binary.
///
/// ```
/// "LFTX" u32 version (3)
/// u32 uidvalidity, u32 nextuid, u64 highestmodseq, u64 modseq ceiling, u16 length, mailbox GUID
/// i64 stamp time seconds, i64 nanoseconds
/// 4 x stamp (new/, cur/, dovecot-uidlist, dovecot-keywords): u8 present, u64 device, u64 inode, i64 size,
///     i64 mtime s, i64 mtime ns, i64 ctime s, i64 ctime ns
/// u8 keyword count, per letter: u8 present, u16 length, UTF-8 name
/// u32 record count, per record: u32 uid, u8 flags, u8 directory (0 cur, 1 new), u32 keyword bits,
///     u64 modseq, i64 internal date, u64 size, u64 virtual size, u64 x 2 EMAILID (high, low),
///     u16 length, UTF-8 file name
/// u64 tombstone floor, u32 tombstone count, per tombstone: u32 uid, u64 modseq of its expunge
/// u64 checksum of everything before (`FileChecksum`)
/// ```
/// Version 2 (no mailbox GUID, no EMAILIDs) and version 1 (neither, nor tombstones; every expunge
/// before its HIGHESTMODSEQ unknown) read with stamps that force a rescan, which fills them in.
/// Anything that does not read back exactly (other version, damage, truncation) is ignored and the index
/// rebuilt from the Maildir, which stays the truth.
enum MailboxIndexFile {
    static let fileName = "loft-index"
    static let magic: [UInt8] = Array("LFTX".utf8)
    static let version: UInt32 = 3

    static func encode(_ index: MailboxIndex) -> [UInt8] {
        var writer = ByteWriter(capacity: 256 + index.records.count * 126 + index.tombstones.count * 12)
        writer.append(bytes: magic)
        writer.append(version)
        writer.append(index.uidValidity)
        writer.append(index.nextUID)
        writer.append(index.highestModSeq)
        writer.append(index.modSeqCeiling)
        writer.appendShortString(index.mailboxGUID)
        let stamps = index.stamps
        writer.append(Int64(stamps?.takenAt.tv_sec ?? 0))
        writer.append(Int64(stamps?.takenAt.tv_nsec ?? 0))
        for stamp in [stamps?.new, stamps?.cur, stamps?.uidList, stamps?.keywords] {
            writer.append(UInt8(stamp == nil ? 0 : 1))
            writer.append(stamp?.device ?? 0)
            writer.append(stamp?.inode ?? 0)
            writer.append(stamp?.size ?? 0)
            writer.append(Int64(stamp?.modified.tv_sec ?? 0))
            writer.append(Int64(stamp?.modified.tv_nsec ?? 0))
            writer.append(Int64(stamp?.changed.tv_sec ?? 0))
            writer.append(Int64(stamp?.changed.tv_nsec ?? 0))
        }
        let names = index.keywords.names.prefix(MaildirKeywords.limit)
        writer.append(UInt8(names.count))
        for name in names {
            writer.append(UInt8(name == nil ? 0 : 1))
            writer.appendShortString(name ?? "")
        }
        writer.append(UInt32(index.records.count))
        for (record, location) in zip(index.records, index.locations) {
            writer.append(record.uid)
            writer.append(record.flags.rawValue)
            writer.append(UInt8(location.directory == .cur ? 0 : 1))
            writer.append(record.keywordBits)
            writer.append(record.modSeq)
            writer.append(record.internalDate)
            writer.append(UInt64(record.size))
            writer.append(UInt64(record.virtualSize))
            writer.append(UInt64(truncatingIfNeeded: record.emailID.value >> 64))
            writer.append(UInt64(truncatingIfNeeded: record.emailID.value))
            writer.appendShortString(location.fileName)
        }
        let tombstones = index.tombstones
        writer.append(tombstones.floor)
        writer.append(UInt32(tombstones.count))
        for (uid, modSeq) in zip(tombstones.uids, tombstones.modSeqs) {
            writer.append(uid)
            writer.append(modSeq)
        }
        writer.appendChecksum()
        return writer.bytes
    }

    /// The index in `bytes`, nil when they are not a complete index of this version.
    static func decode(_ bytes: [UInt8]) -> MailboxIndex? {
        guard var reader = ByteReader(checked: bytes) else { return nil }
        return try? decode(&reader)
    }

    private static func decode(_ reader: inout ByteReader) throws -> MailboxIndex? {
        guard Array(try reader.readBytes(4)) == magic else { return nil }
        let fileVersion = try reader.read(UInt32.self)
        guard (1...version).contains(fileVersion) else { return nil }
        var index = MailboxIndex()
        index.uidValidity = try reader.read(UInt32.self)
        index.nextUID = try reader.read(UInt32.self)
        index.highestModSeq = try reader.read(UInt64.self)
        index.modSeqCeiling = try reader.read(UInt64.self)
        if fileVersion >= 3 { index.mailboxGUID = try reader.readShortString() }
        let takenAt = timespec(tv_sec: Int(try reader.read(Int64.self)), tv_nsec: Int(try reader.read(Int64.self)))
        var stamps: [FileStamp?] = []
        for _ in 0..<4 {
            let present = try reader.read(UInt8.self) == 1
            var info = stat()
            info.st_dev = numericCast(try reader.read(UInt64.self))
            info.st_ino = numericCast(try reader.read(UInt64.self))
            info.st_size = numericCast(try reader.read(Int64.self))
            info.st_mtim = timespec(tv_sec: Int(try reader.read(Int64.self)), tv_nsec: Int(try reader.read(Int64.self)))
            info.st_ctim = timespec(tv_sec: Int(try reader.read(Int64.self)), tv_nsec: Int(try reader.read(Int64.self)))
            stamps.append(present ? FileStamp(info) : nil)
        }
        index.stamps = MaildirStamps(new: stamps[0], cur: stamps[1], uidList: stamps[2], keywords: stamps[3],
                                     takenAt: takenAt)
        var keywordText = ""
        for letter in 0..<Int(try reader.read(UInt8.self)) {
            let present = try reader.read(UInt8.self) == 1
            let name = try reader.readShortString()
            if present { keywordText += "\(letter) \(name)\n" }
        }
        index.keywords = MaildirKeywords(parsing: keywordText)
        let count = Int(try reader.read(UInt32.self))
        index.records.reserveCapacity(count)
        index.locations.reserveCapacity(count)
        for _ in 0..<count {
            let uid = try reader.read(UInt32.self)
            let flags = MessageFlags(rawValue: try reader.read(UInt8.self))
            let directory: MaildirDirectory = try reader.read(UInt8.self) == 0 ? .cur : .new
            let keywordBits = try reader.read(UInt32.self)
            let modSeq = try reader.read(UInt64.self)
            let internalDate = try reader.read(Int64.self)
            let size = Int(try reader.read(UInt64.self))
            let virtualSize = Int(try reader.read(UInt64.self))
            var storedEmailID: EmailID?
            if fileVersion >= 3 {
                let high = try reader.read(UInt64.self)
                storedEmailID = EmailID(value: UInt128(high) << 64 | UInt128(try reader.read(UInt64.self)))
            }
            let fileName = try reader.readShortString()
            if let last = index.records.last, uid <= last.uid { return nil }
            let emailID = storedEmailID ?? EmailID(uniqueName: MaildirFileName(fileName).uniqueName)
            index.records.append(MessageRecord(uid: uid, flags: flags, keywordBits: keywordBits, modSeq: modSeq,
                                               internalDate: internalDate, size: size, virtualSize: virtualSize,
                                               emailID: emailID))
            index.locations.append(MessageLocation(directory: directory, fileName: fileName))
        }
        if fileVersion < 3 {
            // Copies' EMAILIDs and the mailbox GUID are in the uidlist: read it.
            index.stamps = nil
        }
        guard fileVersion >= 2 else {
            index.tombstones = MailboxTombstones(floor: index.highestModSeq)
            return reader.isAtEnd ? index : nil
        }
        let floor = try reader.read(UInt64.self)
        let tombstoneCount = Int(try reader.read(UInt32.self))
        var uids: [UInt32] = [], modSeqs: [UInt64] = []
        uids.reserveCapacity(tombstoneCount)
        modSeqs.reserveCapacity(tombstoneCount)
        for _ in 0..<tombstoneCount {
            uids.append(try reader.read(UInt32.self))
            let modSeq = try reader.read(UInt64.self)
            if let last = modSeqs.last, modSeq < last { return nil }
            modSeqs.append(modSeq)
        }
        index.tombstones = MailboxTombstones(floor: floor, uids: uids, modSeqs: modSeqs)
        return reader.isAtEnd ? index : nil
    }

    /// The index stored in `maildir`, nil when there is none or it cannot be used.
    static func read(maildir: String) -> MailboxIndex? {
        guard let bytes = try? POSIX.readFile(maildir + "/" + fileName).bytes else { return nil }
        return decode(bytes)
    }

    /// Replaces the stored index: a temporary file renamed over it, so a reader sees the old or the new
    /// file whole. No fsync: the file is rebuildable, and a torn one fails its checksum and is rebuilt.
    static func write(_ index: MailboxIndex, maildir: String) throws {
        try writeReplacing(maildir + "/" + fileName, bytes: encode(index))
    }

    /// Writes `bytes` to a temporary name unique to this call, then renames it over `path`.
    static func writeReplacing(_ path: String, bytes: [UInt8]) throws {
        let temporary = path + ".tmp." + MaildirUniqueName.makeSequential()
        let fd = try POSIX.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        do {
            try bytes.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: temporary) }
        } catch {
            POSIX.close(fd)
            _ = try? POSIX.unlink(temporary)
            throw error
        }
        POSIX.close(fd)
        do {
            try POSIX.rename(temporary, path)
        } catch {
            _ = try? POSIX.unlink(temporary)
            throw error
        }
    }
}
