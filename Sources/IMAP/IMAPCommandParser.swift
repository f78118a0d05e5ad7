import LineProtocol
import NIOCore

/// What `IMAPCommandParser.parse` found in the input.
public enum IMAPParseResult: Sendable, Equatable {
    /// A complete command other than APPEND.
    case command(IMAPCommand)
    /// The input holds no complete element: read more and call again.
    case needMoreBytes
    /// A synchronizing literal `{n}` was announced: send `+ ...`, then call again. (Or refuse
    /// the command with a tagged response instead: the client then sends no literal, and the
    /// parser must be reset with `abandonCommand()`.)
    case needContinuation
    /// An APPEND up to its message literal. If `synchronizing`, send `+ ...` (or refuse with
    /// `refuseAppendMessage()` and a tagged NO); then call again for `appendData`. MULTIAPPEND
    /// (RFC 3502): after a message, the next one comes as another `appendStart` with the same
    /// tag and mailbox and `messageNumber` one higher; an `.error` for that tag in between
    /// means the whole command failed.
    case appendStart(IMAPAppendHeader)
    /// The next piece of the APPEND message, in order; the pieces add up to `messageSize`.
    case appendData(ByteBuffer)
    /// The (last) message and the CRLF ending the APPEND command have arrived.
    case appendEnd(tag: String)
    /// The DONE line ending IDLE (RFC 2177), after `beginIdle()`.
    case idleDone
    /// A line answering a SASL challenge, after `expectAuthenticationResponse()`: base64 text,
    /// or `*` to cancel (RFC 3501 §6.2.2). Not validated.
    case authenticationResponse(String)
    /// The command was malformed or over a limit. The tag is nil when the line had no valid
    /// tag (answer `* BAD`). Its line has been consumed (a line over the limit: its rest is
    /// skipped on the following calls), and so is a non-synchronizing literal the client sends
    /// anyway (`skippedLiteralOctets`) with the rest of that command.
    case error(tag: String?, IMAPParseError)
}

/// The incremental IMAP command parser of one connection. Feed it the connection's input
/// buffer; it consumes bytes only for complete elements (whole lines; literal octets as they
/// arrive), so calling it again with more bytes continues where it stopped, whatever the split.
///
/// A command's lines and argument literals are gathered (within `maxCommandSize`) and parsed
/// as a whole by the grammar; an APPEND message literal is never gathered but handed out in
/// pieces. The caller must pass the same input stream on every call.
///
/// A session's `processInput` calls it in a loop until `needMoreBytes`:
///
/// ```swift
/// loop: while true {
///     switch parser.parse(&connection.input) {
///     case .needMoreBytes: break loop
///     case .needContinuation: connection.send("+ Ready for literal data")
///     case .command(let command): ...            // IDLE: send "+ idling", then parser.beginIdle()
///     case .appendStart(let header): ...         // check the mailbox and size; "+ Ready" if synchronizing,
///                                                // or a tagged NO and parser.refuseAppendMessage()
///     case .appendData(let piece): ...           // write the piece on, never gather it
///     case .appendEnd(let tag): ...              // commit, then "tag OK [APPENDUID ...]"
///     case .idleDone, .authenticationResponse: ...
///     case .error(let tag, let error): ...       // "\(tag ?? "*") BAD \(error.message)"; BYE if error.isFatal
///     }
/// }
/// ```
///
/// The connection's input cap (`maxBufferedInput`) must be at least `maxLineLength`, since a
/// line stays in the input until its end arrives. After STARTTLS, use a new parser.
public struct IMAPCommandParser: Sendable {
    public var configuration: IMAPParserConfiguration

    private enum State: Sendable {
        case command
        case argumentLiteral(remaining: Int)
        case appendMessage(IMAPAppendProgress, FixedLengthReader, synchronizing: Bool)
        case appendEnd(IMAPAppendProgress)
        case skipLiteral(FixedLengthReader)
        case skipLine
        case idle
        case authenticationResponse
        case failed(IMAPParseError)
    }

    private var state = State.command
    /// The lines and argument literals of the command so far, exactly as sent (CRLF-terminated).
    private var pending = ByteBuffer()
    private var scanner = IMAPLineScanner()

    public init(configuration: IMAPParserConfiguration = IMAPParserConfiguration()) {
        self.configuration = configuration
    }

    private var limits: IMAPParserLimits { configuration.limits }

    // MARK: - Session controls

    /// After answering IDLE with `+ idling`: the next line must be DONE.
    public mutating func beginIdle() {
        state = .idle
    }

    /// After sending a SASL challenge `+ ...`: the next line is the client's response.
    public mutating func expectAuthenticationResponse() {
        state = .authenticationResponse
    }

    /// The session refuses the APPEND it just got as `appendStart` (a tagged NO): for a
    /// synchronizing literal the client sends nothing more; a non-synchronizing one is skipped.
    public mutating func refuseAppendMessage() {
        guard case .appendMessage(_, let reader, let synchronizing) = state else { return }
        // A message refused before it is sent, or after the announcement of a later one.
        if synchronizing && reader.remaining == reader.size {
            state = .command
        } else {
            state = .skipLiteral(reader)
        }
    }

    /// The session refused a command after `needContinuation` (the client sends no literal):
    /// forget what was gathered of it.
    public mutating func abandonCommand() {
        if case .argumentLiteral = state {
            state = .command
        }
        pending.clear()
    }

    /// Whether part of a command has been consumed and its rest is still to come (STARTTLS
    /// must find nothing buffered, and neither must a connection about to close cleanly).
    public var isInsideCommand: Bool {
        switch state {
        case .command: pending.readableBytes > 0 || scanner.scanned > 0
        case .idle, .authenticationResponse: scanner.scanned > 0
        case .failed: false
        default: true
        }
    }

    // MARK: - Parsing

    public mutating func parse(_ input: inout ByteBuffer) -> IMAPParseResult {
        while true {
            switch state {
            case .failed(let error):
                return .error(tag: nil, error)

            case .command:
                guard let line = nextLine(&input) else {
                    if lineIsTooLong {
                        return lineTooLong(&input)
                    }
                    return .needMoreBytes
                }
                if let result = commandLine(line) {
                    return result
                }

            case .argumentLiteral(let remaining):
                let count = min(remaining, input.readableBytes)
                guard count > 0 else { return .needMoreBytes }
                var slice = input.readSlice(length: count)!
                pending.writeBuffer(&slice)
                state = remaining == count ? .command : .argumentLiteral(remaining: remaining - count)

            case .appendMessage(var progress, var reader, let synchronizing):
                if reader.isComplete {
                    state = .appendEnd(progress)
                    continue
                }
                guard let chunk = reader.take(from: &input) else { return .needMoreBytes }
                if !progress.binary && !progress.sawNUL && chunk.readableBytesView.contains(0) {
                    progress.sawNUL = true
                }
                state = .appendMessage(progress, reader, synchronizing: synchronizing)
                return .appendData(chunk)

            case .appendEnd(let progress):
                guard let line = nextLine(&input) else {
                    if lineIsTooLong { return lineTooLong(&input, tag: progress.tag) }
                    return .needMoreBytes
                }
                return appendLine(line, after: progress)

            case .skipLiteral(var reader):
                reader.skip(in: &input)
                guard reader.isComplete else {
                    state = .skipLiteral(reader)
                    return .needMoreBytes
                }
                state = .skipLine

            case .skipLine:
                var ended: IMAPLineScanner.Line?
                let count = input.withUnsafeReadableBytes { bytes in
                    for (index, byte) in bytes.enumerated() {
                        if let line = scanner.feed(byte) {
                            ended = line
                            return index + 1
                        }
                    }
                    return bytes.count
                }
                input.moveReaderIndex(forwardBy: count)
                guard let ended else {
                    scanner.forget()
                    return .needMoreBytes
                }
                if let literal = ended.literal, !literal.synchronizing, let size = literal.size {
                    state = .skipLiteral(FixedLengthReader(size: size))
                } else {
                    state = .command
                }

            case .idle:
                guard let line = nextLine(&input) else {
                    if lineIsTooLong { return lineTooLong(&input) }
                    return .needMoreBytes
                }
                state = .command
                let content = line.content.readableBytesView
                if content.count == 4, content.map({ $0 & 0xDF }) == Array("DONE".utf8) {
                    return .idleDone
                }
                return fail(nil, IMAPParseError(.expectedDone, "Expected DONE"), literal: line.literal)

            case .authenticationResponse:
                guard let line = nextLine(&input) else {
                    if lineIsTooLong { return lineTooLong(&input) }
                    return .needMoreBytes
                }
                state = .command
                return .authenticationResponse(String(decoding: line.content.readableBytesView, as: UTF8.self))
            }
        }
    }

    private struct ScannedLine {
        var content: ByteBuffer
        var contentLength: Int { content.readableBytes }
        var literal: IMAPLineScanner.Announcement?
    }

    /// Takes the next complete line out of `input`, or nil when it has none yet (then
    /// `lineIsTooLong` says whether it never will within the limit).
    private mutating func nextLine(_ input: inout ByteBuffer) -> ScannedLine? {
        let start = scanner.scanned
        // Look at no more than the line limit, so every split of the input decides alike.
        let end = min(input.readableBytes, limits.maxLineLength)
        guard end > start else { return nil }
        var found: IMAPLineScanner.Line?
        input.withUnsafeReadableBytes { bytes in
            var index = start
            while index < end {
                if let line = scanner.feed(bytes[index]) {
                    found = line
                    return
                }
                index += 1
            }
        }
        guard let found else { return nil }
        var slice = input.readSlice(length: found.totalLength)!
        let content = slice.readSlice(length: found.contentLength)!
        return ScannedLine(content: content, literal: found.literal)
    }

    private var lineIsTooLong: Bool { scanner.scanned >= limits.maxLineLength }

    /// The line limit is reached without a line end: refuse, and skip the rest of the line.
    private mutating func lineTooLong(_ input: inout ByteBuffer, tag: String? = nil) -> IMAPParseResult {
        var head = pending.readableBytes > 0 ? pending : input.getSlice(at: input.readerIndex, length: scanner.scanned)!
        let tag = tag ?? Self.leadingTag(&head)
        input.moveReaderIndex(forwardBy: scanner.scanned)
        scanner.forget()
        pending.clear()
        state = .skipLine
        return .error(tag: tag, IMAPParseError(.lineTooLong, "Line longer than \(limits.maxLineLength) octets"))
    }

    /// Handles one complete line in command state; nil to go on reading.
    private mutating func commandLine(_ line: ScannedLine) -> IMAPParseResult? {
        if pending.readableBytes == 0 && line.contentLength == 0 {
            return nil  // an empty line between commands is ignored
        }
        guard pending.readableBytes + line.contentLength + 2 <= limits.maxCommandSize else {
            var head = pending.readableBytes > 0 ? pending : line.content
            return fail(Self.leadingTag(&head), IMAPParseError(.commandTooLarge, "Command larger than \(limits.maxCommandSize) octets"),
                literal: line.literal)
        }
        guard let literal = line.literal else {
            var command = pending
            var content = line.content
            command.writeBuffer(&content)
            command.writeStaticString("\r\n")
            pending.clear()
            return parseComplete(command)
        }
        var head = pending
        head.writeImmutableBuffer(line.content.getSlice(at: line.content.readerIndex, length: literal.offset)!)
        var tagSource = head
        let tag = Self.leadingTag(&tagSource)
        guard let size = literal.size else {
            let error = IMAPParseError(.literalTooLarge, "Literal size too large", responseCode: "TOOBIG", isFatal: true)
            pending.clear()
            state = .failed(error)
            return .error(tag: tag, error)
        }
        if let refused = literalModeRefusal(literal, size: size) {
            return fail(tag, refused, literal: literal)
        }
        var grammar = IMAPGrammarParser(head, configuration: configuration)
        let append: (tag: String, mailbox: IMAPMailboxName, options: IMAPAppendOptions)?
        do throws(IMAPParseError) {
            append = try grammar.parseAppendPrefix()
        } catch {
            return fail(tag, error, literal: literal)
        }
        if let append {
            guard size <= limits.maxAppendSize else {
                return fail(tag, IMAPParseError(.literalTooLarge, "Message larger than \(limits.maxAppendSize) octets",
                    reply: .no, responseCode: "TOOBIG"), literal: literal)
            }
            pending.clear()
            var progress = IMAPAppendProgress(tag: append.tag, mailbox: append.mailbox, size: size, binary: literal.binary)
            progress.utf8Wrapped = append.options.utf8
            state = .appendMessage(progress, FixedLengthReader(size: size), synchronizing: literal.synchronizing)
            var header = IMAPAppendHeader(
                tag: append.tag, mailbox: append.mailbox, flags: append.options.flags, internalDate: append.options.date,
                messageSize: size, synchronizing: literal.synchronizing)
            header.binary = literal.binary
            return .appendStart(header)
        }
        if literal.binary {
            // RFC 3516 §4.4: literal8 is for APPEND message data only.
            return fail(tag, IMAPParseError(.syntax, "A literal8 (~{n}) is only allowed for an APPEND message"), literal: literal)
        }
        guard size <= limits.maxLiteralSize else {
            return fail(tag, IMAPParseError(.literalTooLarge, "Literal larger than \(limits.maxLiteralSize) octets",
                responseCode: "TOOBIG"), literal: literal)
        }
        guard pending.readableBytes + line.contentLength + 2 + size <= limits.maxCommandSize else {
            return fail(tag, IMAPParseError(.commandTooLarge, "Command larger than \(limits.maxCommandSize) octets"),
                literal: literal)
        }
        var content = line.content
        pending.writeBuffer(&content)
        pending.writeStaticString("\r\n")
        state = .argumentLiteral(remaining: size)
        if size == 0 { state = .command }
        return literal.synchronizing ? .needContinuation : nil
    }

    /// Why a literal's kind is refused under this configuration: `{n+}` without LITERAL+, or over
    /// 4096 octets under LITERAL- (RFC 7888 §4); nil when it is fine.
    private func literalModeRefusal(_ literal: IMAPLineScanner.Announcement, size: Int) -> IMAPParseError? {
        guard !literal.synchronizing else { return nil }
        switch configuration.literalPlus {
        case .none:
            return IMAPParseError(.nonSynchronizingLiteralNotAllowed, "Non-synchronizing literals are not supported")
        case .literalMinus where size > IMAPParserLimits.literalMinusMaximum:
            return IMAPParseError(.literalTooLarge, "Non-synchronizing literal larger than 4096 octets (LITERAL-)",
                responseCode: "TOOBIG")
        default:
            return nil
        }
    }

    /// The line after an APPEND message: CRLF ends the command; otherwise it announces the next
    /// message of a MULTIAPPEND (RFC 3502 §6), which must fit the per-message and per-command limits.
    private mutating func appendLine(_ line: ScannedLine, after previous: IMAPAppendProgress) -> IMAPParseResult {
        let tag = previous.tag
        if previous.sawNUL {
            return fail(tag, IMAPParseError(.syntax, "NUL octet in a literal; send binary data as a literal8 ~{n} (RFC 3516)"),
                literal: line.literal)
        }
        var rest = line.content
        if previous.utf8Wrapped {
            guard rest.readInteger(as: UInt8.self) == UInt8(ascii: ")") else {
                return fail(tag, IMAPParseError(.syntax, "Expected \")\" after a UTF8 (...) message"), literal: line.literal)
            }
        }
        if rest.readableBytes == 0 {
            state = .command
            return .appendEnd(tag: tag)
        }
        guard let literal = line.literal else {
            return fail(tag, IMAPParseError(.syntax, "Expected CRLF or the next message after the message"), literal: nil)
        }
        guard let size = literal.size else {
            let error = IMAPParseError(.literalTooLarge, "Literal size too large", responseCode: "TOOBIG", isFatal: true)
            state = .failed(error)
            return .error(tag: tag, error)
        }
        if let refused = literalModeRefusal(literal, size: size) {
            return fail(tag, refused, literal: literal)
        }
        let skipped = line.contentLength - rest.readableBytes
        let head = rest.getSlice(at: rest.readerIndex, length: literal.offset - skipped)!
        var grammar = IMAPGrammarParser(head, configuration: configuration)
        let options: IMAPAppendOptions
        do throws(IMAPParseError) {
            options = try grammar.parseNextAppendMessage()
        } catch {
            return fail(tag, error, literal: literal)
        }
        guard size <= limits.maxAppendSize else {
            return fail(tag, IMAPParseError(.literalTooLarge, "Message larger than \(limits.maxAppendSize) octets",
                reply: .no, responseCode: "TOOBIG"), literal: literal)
        }
        guard previous.messages < limits.maxMultiAppendMessages else {
            return fail(tag, IMAPParseError(.commandTooLarge, "More than \(limits.maxMultiAppendMessages) messages in one APPEND",
                reply: .no, responseCode: "LIMIT"), literal: literal)
        }
        guard previous.totalSize + size <= max(limits.maxMultiAppendSize, limits.maxAppendSize) else {
            return fail(tag, IMAPParseError(.commandTooLarge, "Messages of one APPEND larger than \(limits.maxMultiAppendSize) octets together",
                reply: .no, responseCode: "LIMIT"), literal: literal)
        }
        var progress = previous
        progress.messages += 1
        progress.totalSize += size
        progress.binary = literal.binary
        progress.sawNUL = false
        progress.utf8Wrapped = options.utf8
        state = .appendMessage(progress, FixedLengthReader(size: size), synchronizing: literal.synchronizing)
        var header = IMAPAppendHeader(
            tag: tag, mailbox: progress.mailbox, flags: options.flags, internalDate: options.date, messageSize: size,
            synchronizing: literal.synchronizing)
        header.binary = literal.binary
        header.messageNumber = progress.messages
        return .appendStart(header)
    }

    /// Reports `error` for the command whose line was just consumed; skips the non-synchronizing
    /// literal that line announced (and the rest of its command), if any.
    private mutating func fail(_ tag: String?, _ error: IMAPParseError, literal: IMAPLineScanner.Announcement?) -> IMAPParseResult {
        var error = error
        pending.clear()
        state = .command
        if let literal, !literal.synchronizing {
            guard let size = literal.size else {
                error = IMAPParseError(.literalTooLarge, "Literal size too large", responseCode: "TOOBIG", isFatal: true)
                state = .failed(error)
                return .error(tag: tag, error)
            }
            error.skippedLiteralOctets = size
            state = .skipLiteral(FixedLengthReader(size: size))
        }
        return .error(tag: tag, error)
    }

    /// Parses one complete command (lines and literals in place).
    private func parseComplete(_ command: ByteBuffer) -> IMAPParseResult {
        var grammar = IMAPGrammarParser(command, configuration: configuration)
        let tag: String
        do throws(IMAPParseError) {
            tag = try grammar.parseTag()
        } catch {
            return .error(tag: nil, error)
        }
        do throws(IMAPParseError) {
            return .command(try grammar.parseCommand(tag: tag))
        } catch {
            return .error(tag: tag, error)
        }
    }

    /// The tag at the start of a command, if it is a valid one followed by a space or the end.
    static func leadingTag(_ buffer: inout ByteBuffer) -> String? {
        var bytes: [UInt8] = []
        while let byte = buffer.readInteger(as: UInt8.self) {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") { break }
            guard IMAPGrammarParser.isTagChar(byte), bytes.count < 256 else { return nil }
            bytes.append(byte)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
