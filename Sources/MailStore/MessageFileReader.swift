import Glibc
import Synchronization

/// A stored message open for reading a piece at a time (POP3 RETR streams it), so a large
/// message never sits whole in memory. The file stays readable even if another session
/// renames or deletes it meanwhile (the open descriptor keeps the inode). Closed at the end,
/// by `close()`, or when dropped. Blocking: call from a thread pool, one call at a time.
public final class MessageFileReader: Sendable {
    public let path: String
    /// The open file and how many of its bytes are still unread (a Maildir file never changes
    /// once it is visible, so its size at open is its size).
    private let state: Mutex<(descriptor: Int32, remaining: Int)?>

    init(path: String, descriptor: Int32, size: Int) {
        self.path = path
        self.state = Mutex((descriptor, size))
    }

    deinit {
        close()
    }

    /// The next bytes, at most `maxBytes`: fewer only at the end of the file (empty there).
    public func read(upTo maxBytes: Int) throws -> [UInt8] {
        try state.withLock { state in
            guard let (fd, remaining) = state, remaining > 0 else { return [] }
            let bytes = try [UInt8](unsafeUninitializedCapacity: min(maxBytes, remaining)) { buffer, count in
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
            // A file cut short meanwhile (it should never be) ends the message where it ends.
            state = (fd, bytes.count < min(maxBytes, remaining) ? 0 : remaining - bytes.count)
            return bytes
        }
    }

    public func close() {
        state.withLock { state in
            if let (fd, _) = state { POSIX.close(fd) }
            state = nil
        }
    }
}

extension Maildir {
    /// Opens `message` for reading in pieces, finding it again if it was renamed since the
    /// snapshot (new/ to cur/, a flag change).
    /// - Throws: `MailStoreError.messageVanished` when it is gone, `.system` for other failures.
    public func openMessage(_ message: MaildirMessage) throws -> MessageFileReader {
        let (filePath, descriptor) = try withCurrentPath(of: message) { filePath in
            (filePath, try POSIX.open(filePath, O_RDONLY))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let error = POSIX.error("fstat", filePath)
            POSIX.close(descriptor)
            throw error
        }
        return MessageFileReader(path: filePath, descriptor: descriptor, size: Int(info.st_size))
    }
}
