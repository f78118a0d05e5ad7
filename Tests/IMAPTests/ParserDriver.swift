import IMAP
import NIOCore
import TestSupport


/// How input reaches the parser.
enum Split: CustomStringConvertible {
    case whole
    case bytewise
    case random(seed: UInt64)

    var description: String {
        switch self {
        case .whole: "whole"
        case .bytewise: "one byte at a time"
        case .random(let seed): "random splits, seed \(seed)"
        }
    }

    static let all: [Split] = [.whole, .bytewise, .random(seed: 1), .random(seed: 2), .random(seed: 3)]

    func chunks(_ bytes: [UInt8]) -> [[UInt8]] {
        switch self {
        case .whole: return [bytes]
        case .bytewise: return bytes.map { [$0] }
        case .random(let seed):
            var generator = SeededGenerator(seed: seed)
            var chunks: [[UInt8]] = []
            var index = 0
            while index < bytes.count {
                let length = Int.random(in: 1...7, using: &generator)
                chunks.append(Array(bytes[index..<min(bytes.count, index + length)]))
                index += length
            }
            return chunks
        }
    }
}

/// Drives the parser as a session would: feeds chunks, calls `parse` until it needs more
/// bytes, enters IDLE after an IDLE command, and merges consecutive `appendData` pieces (their
/// sizes depend on the split). Returns every result but `needMoreBytes`, and what is left over.
func drive(
    _ bytes: [UInt8], split: Split, configuration: IMAPParserConfiguration = IMAPParserConfiguration(),
    refuseAppends: Bool = false
) -> (results: [IMAPParseResult], parser: IMAPCommandParser, leftover: Int) {
    var parser = IMAPCommandParser(configuration: configuration)
    var input = ByteBuffer()
    var results: [IMAPParseResult] = []
    var steps = 0
    for chunk in split.chunks(bytes) {
        input.writeBytes(chunk)
        loop: while true {
            steps += 1
            precondition(steps < 10 * bytes.count + 1000, "the parser does not make progress")
            let result = parser.parse(&input)
            switch result {
            case .needMoreBytes:
                break loop
            case .appendData(var data):
                if case .appendData(var previous)? = results.last {
                    previous.writeBuffer(&data)
                    results[results.count - 1] = .appendData(previous)
                } else {
                    results.append(result)
                }
            case .command(let command) where command.kind == .idle:
                results.append(result)
                parser.beginIdle()
            case .appendStart:
                results.append(result)
                if refuseAppends { parser.refuseAppendMessage() }
            case .error(_, let error) where error.isFatal:
                results.append(result)
                return (results, parser, input.readableBytes)
            default:
                results.append(result)
            }
        }
    }
    return (results, parser, input.readableBytes)
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }
