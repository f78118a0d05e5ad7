import Foundation
import Glibc
import MailStore
import POSIXSupport
import Testing

/// A caller's own error type, as another module would bring it.
private enum CallerError: SystemCallErrorRepresentable, Equatable {
    case system(operation: String, path: String, errno: Int32)
}

@Suite("Public file helpers: sizes, streamed files, POSIX wrappers, unique names")
struct FileHelpersTests {
    @Test("a CR at the end of one piece pairs with an LF at the start of the next; bare LFs count twice")
    func sizeCounter() {
        var counter = MessageSizeCounter()
        counter.add(Array("a\r".utf8))
        counter.add(Array("\nb\n".utf8))
        #expect(counter.size == 5)
        #expect(counter.virtualSize == 6)
        #expect(MessageSizeCounter.virtualSize(of: Array("x\ny\r\nz\n".utf8)) == 9)
    }

    @Test("random pieces of CR, LF and letters, contiguous or not, count as a byte-by-byte reference does")
    func sizeCounterRandom() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        for _ in 0..<200 {
            let bytes = (0..<next(300)).map { _ in Array("\r\na".utf8)[next(3)] }
            let reference = bytes.enumerated().reduce(0) { sum, item in
                sum + (item.element == 10 && (item.offset == 0 || bytes[item.offset - 1] != 13) ? 2 : 1)
            }
            var counter = MessageSizeCounter()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + 1 + next(40))
                if next(2) == 0 { counter.add(bytes[start..<end]) } else { counter.add(bytes[start..<end].lazy.map { $0 }) }
                start = end
            }
            #expect(counter.size == bytes.count)
            #expect(counter.virtualSize == reference)
        }
    }

    @Test("a streamed file holds exactly the bytes appended, and its sizes")
    func streamedFile() throws {
        try withTemporaryDirectory { root in
            let path = root + "/message"
            var file = try StreamingMessageFile<CallerError>(creatingAt: path)
            var expected: [UInt8] = []
            // More than the 64 KiB gathering threshold, in odd-sized pieces.
            for index in 0..<10_000 {
                let piece = Array("line \(index)\n".utf8)
                try file.append(piece)
                expected += piece
            }
            try file.flush()
            try file.sync()
            #expect(try Int(file.status().st_size) == expected.count)
            file.close()
            #expect(!file.isOpen)
            file.discard()  // after close: the file stays
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == expected)
            #expect(file.sizes.size == expected.count)
            #expect(file.sizes.virtualSize == expected.count + 10_000)
        }
    }

    @Test("a streamed file refuses an existing name, and discarding an open one removes it")
    func streamedFileCreateAndDiscard() throws {
        try withTemporaryDirectory { root in
            let path = root + "/message"
            var file = try StreamingMessageFile<CallerError>(creatingAt: path)
            #expect(throws: CallerError.system(operation: "open", path: path, errno: EEXIST)) {
                _ = try StreamingMessageFile<CallerError>(creatingAt: path)
            }
            try file.append([0x41])
            file.discard()
            #expect(!file.isOpen)
            #expect(fileNames(in: root).isEmpty)
        }
    }

    @Test("POSIX wrappers report failures in the caller's error type, naming the call and file")
    func callerErrorType() throws {
        try withTemporaryDirectory { (root: String) throws in
            let missing = root + "/missing"
            #expect(throws: CallerError.system(operation: "open", path: missing, errno: ENOENT)) {
                _ = try POSIXFile<CallerError>.readFile(missing)
            }
            #expect(try POSIXFile<CallerError>.fileStatus(missing) == nil)
            #expect(try POSIXFile<CallerError>.unlink(missing) == false)
        }
    }

    @Test("linkOrCopy gives the file a second name; readFile returns its bytes and stat")
    func linkOrCopy() throws {
        try withTemporaryDirectory { root in
            try writeFile(root + "/a", "hello\n")
            try POSIXFile<CallerError>.linkOrCopy(root + "/a", root + "/b")
            let (bytes, status) = try POSIXFile<CallerError>.readFile(root + "/b")
            #expect(bytes == Array("hello\n".utf8))
            #expect(status.st_ino == (try #require(try POSIXFile<CallerError>.fileStatus(root + "/a"))).st_ino)
            #expect(throws: CallerError.self) { try POSIXFile<CallerError>.linkOrCopy(root + "/a", root + "/b") }
        }
    }

    @Test("readFile runs the caller's check on the stat before reading; SystemCallError carries the errno")
    func readFileCheckAndSystemCallError() throws {
        struct NotRegular: Error {}
        try withTemporaryDirectory { root in
            try writeFile(root + "/a", "hello\n")
            let regularOnly: (stat) throws -> Void = { if $0.st_mode & S_IFMT != S_IFREG { throw NotRegular() } }
            #expect(try POSIXFile<SystemCallError>.readFile(root + "/a", check: regularOnly).bytes == Array("hello\n".utf8))
            #expect(throws: NotRegular.self) { try POSIXFile<SystemCallError>.readFile(root, check: regularOnly) }
            #expect(throws: SystemCallError(operation: "open", path: root + "/none", errno: ENOENT)) {
                try POSIXFile<SystemCallError>.readFile(root + "/none")
            }
            #expect(SystemCallError(operation: "open", path: "/x", errno: ENOENT).description == "open /x: No such file or directory")
            #expect(FileStamp(try #require(try POSIXFile<SystemCallError>.fileStatus(root + "/a")))
                == FileStamp(try POSIXFile<SystemCallError>.readFile(root + "/a").status))
        }
    }

    @Test("unique names follow <secs>.M<usecs>P<pid>V<dev>I<inode>.<host>, host without / : or ,")
    func uniqueName() throws {
        let name = MaildirUniqueName.make(device: 0x801, inode: 0xABC)
        let parts = name.split(separator: ".", maxSplits: 1)
        #expect(parts.count == 2)
        #expect(Int(parts[0]) != nil)
        let rest = try #require(parts.last)
        #expect(rest.hasPrefix("M"))
        #expect(rest.contains("P\(getpid())V801IABC."))
        let host = try #require(rest.split(separator: "IABC.", maxSplits: 1).last)
        #expect(!host.isEmpty && !host.contains("/") && !host.contains(":") && !host.contains(","))
        #expect(MaildirUniqueName.withSizes(name, size: 4, virtualSize: 6) == name + ",S=4,W=6")
    }
}
