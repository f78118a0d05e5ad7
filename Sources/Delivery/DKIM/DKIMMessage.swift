import Glibc
import MIME
import TLS

/// What DKIM signs of a message, read as Loft transmits it (see `DKIMRelaxedHeader`): its header fields and
/// the SHA-256 hash of its relaxed-canonical body, the body read in pieces so memory stays flat.
struct DKIMMessage {
    /// One header field: its name as written and its lines joined by CRLF (without the final CRLF).
    struct Field {
        var name: String
        var bytes: [UInt8]
    }

    /// The largest header that is signed; a message with a larger one cannot be signed.
    static let maximumHeaderBytes = 1 << 20

    var fields: [Field]
    /// SHA-256 of the relaxed-canonical body (RFC 6376 §3.7, the `bh=` tag), over the whole body (no `l=`).
    var bodyHash: [UInt8]

    /// Parses `message` given whole (for tests and small inputs).
    init(_ message: [UInt8]) throws {
        var reader = Reader()
        try reader.append(message[...])
        self = reader.finish()
    }

    /// Reads the file at `path`. Blocking.
    /// - Throws: `DeliveryError.system` when it cannot be read, `DKIMSigningError` when its header is too large.
    init(path: String) throws {
        let fd = try FileSystem.open(path, O_RDONLY)
        defer { FileSystem.close(fd) }
        var reader = Reader()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw FileSystem.error("read", path) }
            if count == 0 { break }
            try reader.append(chunk[..<count])
        }
        self = reader.finish()
    }

    private init(fields: [Field], bodyHash: [UInt8]) {
        self.fields = fields
        self.bodyHash = bodyHash
    }

    /// The domain of the first address in the RFC 5322 From field (the one DMARC aligns with), lowercased;
    /// nil without a From field or address.
    var fromDomain: String? {
        guard let from = fields.first(where: { $0.name.lowercased() == "from" }) else { return nil }
        let value = from.bytes.drop { $0 != UInt8(ascii: ":") }.dropFirst()
        for entry in AddressParser.parse(Array(value)) {
            let mailbox: IMAPAddress?
            switch entry {
            case .mailbox(let address): mailbox = address
            case .group(_, let members): mailbox = members.first
            }
            guard let host = mailbox?.host, host != AddressParser.missingDomain, host != AddressParser.syntaxError else { continue }
            return String(decoding: host, as: UTF8.self).lowercased()
        }
        return nil
    }

    /// Splits the header off line by line, then hands the body to the canonicalizer and the hash.
    private struct Reader {
        private var header: [UInt8] = []
        /// Where the header's unfinished last line starts.
        private var lineStart = 0
        private var inBody = false
        private var canonicalizer = DKIMRelaxedBodyCanonicalizer()
        private let hash = SHA256Hasher()

        mutating func append(_ bytes: ArraySlice<UInt8>) throws {
            var rest = bytes
            if !inBody {
                // The header ends with the first empty line (its CR optional, as the client sends bare LF as CRLF).
                var index = header.count
                header += rest
                rest = []
                while index < header.count {
                    guard header[index] == UInt8(ascii: "\n") else {
                        index += 1
                        continue
                    }
                    let length = index - lineStart
                    if length == 0 || (length == 1 && header[lineStart] == UInt8(ascii: "\r")) {
                        rest = header[(index + 1)...]
                        header.removeSubrange(lineStart...)
                        inBody = true
                        break
                    }
                    index += 1
                    lineStart = index
                }
                guard header.count <= DKIMMessage.maximumHeaderBytes else {
                    throw DKIMSigningError(reason: "the message header is larger than \(DKIMMessage.maximumHeaderBytes) bytes")
                }
            }
            if inBody, !rest.isEmpty {
                hash.update(canonicalizer.append(rest))
            }
        }

        mutating func finish() -> DKIMMessage {
            hash.update(canonicalizer.finish())
            return DKIMMessage(fields: Self.fields(header), bodyHash: hash.finalize())
        }

        /// The fields of a header: lines split at LF, one CR before it dropped, continuation lines (starting
        /// with WSP) joined to their field with CRLF. Lines that are neither field nor continuation are skipped.
        private static func fields(_ header: [UInt8]) -> [Field] {
            var fields: [Field] = []
            for rawLine in header.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
                if let first = line.first, DKIMRelaxedHeader.isWSP(first), !fields.isEmpty {
                    fields[fields.count - 1].bytes += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] + line
                } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                    let name = String(decoding: line[..<colon], as: UTF8.self).trimmingWSP
                    fields.append(Field(name: name, bytes: Array(line)))
                }
            }
            return fields
        }
    }
}

/// A message that could not be signed, in words for the queue's deferral and log.
struct DKIMSigningError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

private extension String {
    var trimmingWSP: String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
