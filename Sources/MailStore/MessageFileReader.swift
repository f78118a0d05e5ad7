import Glibc
import Synchronization

/// A stored message open for reading a piece at a time (POP3 RETR streams it), so a large
/// message never sits whole in memory. The file stays readable even if another session
/// renames or deletes it meanwhile (the open descriptor keeps the inode). Closed at the end,
/// by `close()`, or when dropped. Blocking: call from a thread pool, one call at a time.
public final class MessageFileReader: Sendable {
    public let path: String
    private let descriptor: Mutex<Int32?>

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit {
        close()
    }

    /// The next bytes, at most `maxBytes`: fewer only at the end of the file (empty there).
    public func read(upTo maxBytes: Int) throws -> [UInt8] {
        try descriptor.withLock { descriptor in
            guard let fd = descriptor else { return [] }
            return try [UInt8](unsafeUninitializedCapacity: maxBytes) { buffer, count in
                count = 0
                while count < buffer.count {
                    let read = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                    if read < 0 {
                        if errno == EINTR { continue }
                        throw POSIX.error("read", path)
                    }
                    if read == 0 { break }
                    count += read
                }
            }
        }
    }

    public func close() {
        descriptor.withLock { descriptor in
            if let fd = descriptor { POSIX.close(fd) }
            descriptor = nil
        }
    }
}

extension Maildir {
    /// Opens `message` for reading in pieces, finding it again if it was renamed since the
    /// snapshot (new/ to cur/, a flag change).
    /// - Throws: `MailStoreError.messageVanished` when it is gone, `.system` for other failures.
    public func openMessage(_ message: MaildirMessage) throws -> MessageFileReader {
        let filePath = try withCurrentPath(of: message) { filePath in
            (filePath, try POSIX.open(filePath, O_RDONLY))
        }
        return MessageFileReader(path: filePath.0, descriptor: filePath.1)
    }
}
