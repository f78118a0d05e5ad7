import Auth
import Glibc
import LineProtocol
import Logging
import MailStore
import NIOCore

/// The channel handler of one IMAP connection: the shared skeleton driven by `IMAPSession`.
public typealias IMAPServerHandler = LineConnectionHandler<IMAPSession>

extension LineConnectionHandler where Driver == IMAPSession {
    public convenience init(
        configuration: IMAPConfiguration, backend: any IMAPBackend, services: ConnectionServices, logger: Logger
    ) {
        self.init(
            driver: IMAPSession(configuration: configuration, backend: backend),
            limits: configuration.limits.connection, services: services, logger: logger)
    }
}

/// One IMAP session (RFC 3501 §3, RFC 9051 §3): not authenticated → authenticated → selected
/// → logout, on the connection skeleton. The incremental parser turns input into commands;
/// each command is one file in `Commands/` (an extension of this class) that checks the state,
/// runs its disk work through the connection (off the event loop; no further command is read
/// meanwhile, so responses keep their order) and completes with a tagged response.
///
/// Changes other sessions, POP3 and delivery make to the selected mailbox arrive through its
/// `SharedMailbox` observation and are announced only where RFC 3501 §7.4.1 allows (never an
/// EXPUNGE during FETCH, STORE or SEARCH), and at once during IDLE.
public final class IMAPSession: LineProtocolDriver {
    enum State {
        case notAuthenticated
        case authenticated
        case selected
        case loggedOut
    }

    let configuration: IMAPConfiguration
    let backend: any IMAPBackend
    var state = State.notAuthenticated
    var parser: IMAPCommandParser
    var tlsActive: Bool
    /// RFC 5182: the UIDs the last `SEARCH RETURN (SAVE)` kept, for `$`; emptied by a new selection.
    var savedResult: [UInt32] = []
    /// COMPRESS=DEFLATE is on (RFC 4978).
    var compressionActive = false
    var account: IMAPAccount?
    var selection: IMAPSelection?
    /// A SASL exchange waiting for the client's next line.
    var sasl: (tag: String, exchange: SASLExchange)?
    /// An APPEND whose message is arriving.
    var append: IMAPAppendUpload?
    /// The tag of the IDLE command in progress and its keepalive timer.
    var idle: (tag: String, keepalive: RepeatedTask)?
    var authFailures = 0
    var badCommands = 0
    /// RFC 7162 §3.1: CONDSTORE is on once a command used it (ENABLE, SELECT (CONDSTORE),
    /// MODSEQ, CHANGEDSINCE, UNCHANGEDSINCE, STATUS HIGHESTMODSEQ); FETCH responses then carry MODSEQ.
    var condStore = false
    /// RFC 7162 §3.2: QRESYNC is on after ENABLE QRESYNC (CONDSTORE with it): expunges are
    /// announced as VANISHED, and SELECT may resynchronise.
    var qresync = false
    /// RFC 9755 §3 (UTF8=ACCEPT, which replaced RFC 6855): on after ENABLE UTF8=ACCEPT. Mailbox
    /// names and quoted strings are UTF-8, an APPEND message may come as `UTF8 (~{n})`, and SEARCH
    /// takes no CHARSET.
    var utf8Accept = false
    /// RFC 9051 §6.3.1: IMAP4rev2 is on after ENABLE IMAP4rev2: UTF-8 names, SEARCH answers with
    /// ESEARCH, SELECT sends the mailbox's LIST and no RECENT or UNSEEN (RFC 9051 Appendix E).
    var imap4rev2 = false
    /// RFC 5465 NOTIFY: what the client asked for and what it watches; nil without NOTIFY SET.
    var notify: IMAPNotifyState?
    /// `OK [NOTIFICATIONOVERFLOW]` is due (RFC 5465 §5.8).
    var notificationOverflowPending = false
    /// Marks this session's own changes in the mailbox change stream.
    let origin = IMAPSession.nextOrigin()
    /// The connection, while it is open.
    private(set) weak var connection: LineConnection?
    /// Responses gathered for one write.
    private var output = ByteBuffer()

    init(configuration: IMAPConfiguration, backend: any IMAPBackend) {
        self.configuration = configuration
        self.backend = backend
        self.tlsActive = configuration.tlsMode == .implicit
        self.parser = IMAPCommandParser(configuration: Self.parserConfiguration(configuration))
    }

    static func parserConfiguration(_ configuration: IMAPConfiguration) -> IMAPParserConfiguration {
        IMAPParserConfiguration(limits: configuration.limits.parser, literalPlus: .literalPlus)
    }

    private static let originCounter = OriginCounter()

    static func nextOrigin() -> UInt64 { originCounter.next() }

    // MARK: - LineProtocolDriver

    public var isClosed: Bool { state == .loggedOut }

    public func start(_ connection: LineConnection) {
        self.connection = connection
        output = connection.allocator.buffer(capacity: 256)
        untagged("OK [CAPABILITY \(capabilities)] Loft IMAP server ready.")
        flush()
    }

    public func processInput(_ connection: LineConnection) -> Bool {
        if hasPendingNotifications {
            deliverNotifications()
            if connection.isWaiting { return true }  // a NOTIFY FETCH is streaming
        }
        switch parser.parse(&connection.input) {
        case .needMoreBytes:
            return false
        case .needContinuation:
            continuation("Ready for literal data")
        case .command(let command):
            run(command)
        case .appendStart(let header):
            appendStarted(header)
        case .appendData(let piece):
            appendReceived(piece)
        case .appendEnd(let tag):
            appendEnded(tag: tag)
        case .idleDone:
            idleDone()
        case .authenticationResponse(let line):
            authenticationResponse(line)
        case .error(let tag, let error):
            parseFailed(tag: tag, error)
        }
        return true
    }

    public func tlsEstablished(_ info: TLSSessionInfo, _ connection: LineConnection) {
        tlsActive = true
    }

    public func shutdownRequested(_ connection: LineConnection) {
        bye("[UNAVAILABLE] Server shutting down, please reconnect later.")
    }

    public func timedOut(beforeLogin: Bool, _ connection: LineConnection) {
        bye(beforeLogin ? "Login timeout, closing." : "Autologout; idle for too long.")
    }

    public func tooMuchInput(_ connection: LineConnection) {
        if connection.isWaiting {
            // Its response may be halfway through a literal: no BYE can follow cleanly.
            state = .loggedOut
            connection.close()
        } else {
            bye("Too much input while a command was in progress.")
        }
    }

    public func connectionClosed(_ connection: LineConnection) {
        state = .loggedOut
        endIdle()
        selection?.stopObserving()
        selection = nil
        _ = notify?.cancel()  // the mailboxes it holds are released with the rest below
        notify = nil
        // A partial APPEND is dropped; whatever the session still holds open is released, also
        // what a command in flight opened (its completion no longer runs). Not on the loop:
        // releasing a mailbox may write its index.
        let messages = append?.messages ?? []
        append = nil
        if let account {
            _ = connection.services.blockingWork.run(on: connection.eventLoop) {
                for message in messages { message.abort() }
                account.closeAll()
            }
        }
        self.connection = nil
    }

    // MARK: - Dispatch

    private func run(_ command: IMAPCommand) {
        let tag = command.tag
        switch resolvingSavedResult(command.kind) {
        case .capability: capability(tag)
        case .noop: noop(tag)
        case .logout: logout(tag)
        case .starttls: starttls(tag)
        case .authenticate(let mechanism, let initialResponse):
            authenticate(tag, mechanism: mechanism, initialResponse: initialResponse)
        case .login(let user, let password): login(tag, user: user, password: password)
        case .enable(let capabilities): enable(tag, capabilities)
        case .id: id(tag)
        case .namespace: namespace(tag)
        case .select(let name, let parameters): select(tag, name, parameters: parameters, readOnly: false)
        case .examine(let name, let parameters): select(tag, name, parameters: parameters, readOnly: true)
        case .create(let name, let parameters): create(tag, name, parameters: parameters)
        case .delete(let name): delete(tag, name)
        case .rename(let from, let to, let parameters): rename(tag, from: from, to: to, parameters: parameters)
        case .subscribe(let name): subscribe(tag, name, subscribe: true)
        case .unsubscribe(let name): subscribe(tag, name, subscribe: false)
        case .list(let list): self.list(tag, list)
        case .lsub(let reference, let pattern): lsub(tag, reference: reference, pattern: pattern)
        case .status(let name, let attributes): status(tag, name, attributes)
        case .check: check(tag)
        case .close: close(tag)
        case .unselect: unselect(tag)
        case .compress(let algorithm): compress(tag, algorithm)
        case .expunge: expunge(tag, uids: nil)
        case .uidExpunge(let set): expunge(tag, uids: set)
        case .search(let search, let uid): self.search(tag, search, uid: uid)
        case .sort(let sort, let uid): self.sort(tag, sort, uid: uid)
        case .thread(let thread, let uid): self.thread(tag, thread, uid: uid)
        case .fetch(let set, let attributes, let uid, let changedSince, let vanished):
            fetch(tag, set, attributes, uid: uid, changedSince: changedSince, vanished: vanished)
        case .store(let set, let action, let uid, let unchangedSince):
            store(tag, set, action, uid: uid, unchangedSince: unchangedSince)
        case .copy(let set, let name, let uid): copy(tag, set, to: name, uid: uid, move: false)
        case .move(let set, let name, let uid): copy(tag, set, to: name, uid: uid, move: true)
        case .idle: startIdle(tag)
        case .quota(let command): quota(tag, command)
        case .metadata(let command): metadata(tag, command)
        case .notify(let command): notify(tag, command)
        }
    }

    private func parseFailed(tag: String?, _ error: IMAPParseError) {
        var tag = tag
        // A line that is not DONE ends IDLE (RFC 2177 §3), a broken SASL answer the
        // AUTHENTICATE: both are answered under the tag of the command they end.
        if let (idleTag, _) = idle {
            endIdle()
            tag = idleTag
        }
        if let (saslTag, _) = sasl {
            sasl = nil
            tag = saslTag
        }
        discardAppend()  // an APPEND (or MULTIAPPEND) that fails part-way stores nothing
        let code = error.responseCode.map { "[\($0)] " } ?? ""
        let status = error.reply == .no ? "NO" : "BAD"
        emit("\(tag ?? "*") \(status) \(code)\(error.message)")
        if error.isFatal {
            bye("Cannot continue after this input.")
            return
        }
        if error.reply == .bad { countBadCommand() } else { flush() }
    }

    /// Dovecot closes after 20 malformed commands in a row; a client that only sends junk is
    /// not going to recover.
    func countBadCommand() {
        badCommands += 1
        if badCommands >= configuration.limits.maxBadCommands {
            bye("Too many invalid commands.")
        } else {
            flush()
        }
    }

    // MARK: - State checks

    /// The account, or nil after answering `BAD` when not logged in.
    func requireAuthenticated(_ tag: String) -> IMAPAccount? {
        guard state == .authenticated || state == .selected, let account else {
            bad(tag, "Log in first (LOGIN or AUTHENTICATE).")
            return nil
        }
        return account
    }

    /// The selected mailbox, or nil after answering `BAD`.
    func requireSelected(_ tag: String) -> IMAPSelection? {
        guard state == .selected, let selection else {
            bad(tag, state == .notAuthenticated ? "Log in first (LOGIN or AUTHENTICATE)." : "Select a mailbox first.")
            return nil
        }
        return selection
    }

    func requireNotAuthenticated(_ tag: String) -> Bool {
        guard state == .notAuthenticated else {
            bad(tag, "Already logged in.")
            return false
        }
        return true
    }

    // MARK: - Output

    /// Appends one response line (CRLF added) to the pending output.
    func emit(_ line: String) {
        output.writeString(line)
        output.writeStaticString("\r\n")
        if output.readableBytes >= 256 * 1024 { flush() }
    }

    /// Appends one response line of raw octets (it may hold literals; CRLF added).
    func emit(bytes: [UInt8]) {
        output.writeBytes(bytes)
        output.writeStaticString("\r\n")
        if output.readableBytes >= 256 * 1024 { flush() }
    }

    func untagged(_ text: String) {
        emit("* " + text)
    }

    func continuation(_ text: String) {
        emit("+ " + text)
        flush()
    }

    /// Writes what was gathered.
    func flush() {
        guard output.readableBytes > 0, let connection else { return }
        connection.write(output)
        output = connection.allocator.buffer(capacity: 256)
    }

    /// Ends a command: announces mailbox changes (`expunges` false during FETCH, STORE and
    /// SEARCH, RFC 3501 §7.4.1), then the tagged response.
    func complete(_ tag: String, code: String? = nil, _ text: String, expunges: Bool = true) {
        complete(tag, .ok, code: code, text, expunges: expunges)
    }

    func complete(_ tag: String, _ status: IMAPStatus, code: String? = nil, _ text: String, expunges: Bool = true) {
        announceChanges(expunges: expunges)
        emitPendingNotifications()
        emit("\(tag) \(status.rawValue) \(code.map { "[\($0)] " } ?? "")\(text)")
        if status == .bad { countBadCommand() } else { badCommands = 0; flush() }
    }

    func bad(_ tag: String, _ text: String, code: String? = nil) {
        complete(tag, .bad, code: code, text, expunges: false)
    }

    /// `* BYE`, then close (RFC 3501 §7.1.5).
    func bye(_ text: String) {
        guard state != .loggedOut else { return }
        state = .loggedOut
        endIdle()
        untagged("BYE " + text)
        if let connection { flushAndClose(connection) }
    }

    /// Writes what was gathered, then closes the connection.
    func flushAndClose(_ connection: LineConnection) {
        let bytes = output
        output = connection.allocator.buffer(capacity: 0)
        connection.writeAndClose(bytes)
    }

    /// Answers a failed mailbox or storage operation with the response code that says why
    /// (RFC 5530), logging what the client does not see.
    func fail(_ tag: String, _ error: any Error, _ what: String) {
        switch error {
        case let error as MailboxError:
            complete(tag, .no, code: Self.responseCode(for: error), "\(what): \(error)")
        case let error as QuotaExceeded:
            complete(tag, .no, code: "OVERQUOTA", "\(what): \(Self.overQuotaText(error))")
        case let error as IMAPNameError:
            complete(tag, .no, code: "CANNOT", "\(what): \(error)")
        case MailStoreError.keywordLimitReached(_, let limit):
            complete(tag, .no, code: "LIMIT", "\(what): the mailbox already has \(limit) keywords, the most it can have.")
        case MailStoreError.invalidKeyword(_, let name):
            complete(tag, .no, code: "CANNOT", "\(what): \(String(reflecting: name)) is not a valid keyword.")
        default:
            connection?.logger.error("command failed", metadata: ["command": "\(what)", "error": "\(error)"])
            connection?.services.metrics?.storageFailed()
            if let selection, !Self.isDirectory(selection.mailbox.path + "/cur") {
                // Renamed or deleted under this session: its numbers mean nothing any more, so
                // the client must start over (as Dovecot: BYE).
                emit("\(tag) NO [NONEXISTENT] The selected mailbox was renamed or deleted.")
                return bye("The selected mailbox was renamed or deleted; please reconnect.")
            }
            complete(tag, .no, code: "SERVERBUG", "\(what) (server error, see the server log).")
        }
    }

    /// One stat, only on a command's failure path.
    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    static func responseCode(for error: MailboxError) -> String {
        switch error {
        case .invalidName, .cannotDeleteInbox, .renameIntoItself, .invalidKeyword: "CANNOT"
        case .nameTooLong, .folderLimitReached, .keywordLimitReached: "LIMIT"
        case .alreadyExists: "ALREADYEXISTS"
        case .notFound: "NONEXISTENT"
        case .hasChildren: "HASCHILDREN"
        }
    }

    // MARK: - Blocking work

    /// Runs `work` on the disk pool; input waits until `then` has run on the event loop.
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T, then: @escaping (Result<T, any Error>) -> Void) {
        connection?.runBlocking(work, then: then)
    }

    // MARK: - Selected mailbox

    /// Untagged responses for what changed in the selected mailbox since the last ones.
    func announceChanges(expunges: Bool) {
        guard let selection, state == .selected else { return }
        let lastUID = selection.uids.last ?? 0
        for line in selection.announcements(allowExpunge: expunges, withModSeq: condStore, vanished: qresync) {
            untagged(line)
        }
        noteNewMessages(after: lastUID, in: selection)
    }

    /// A command uses CONDSTORE (a MODSEQ item, CHANGEDSINCE, UNCHANGEDSINCE, HIGHESTMODSEQ), which
    /// turns it on; false, with BAD sent, where it is withheld on this connection.
    func condStoreUsed(by tag: String) -> Bool {
        guard !withheldCapabilities.contains("CONDSTORE") else {
            bad(tag, "CONDSTORE is not offered on this connection.")
            return false
        }
        enableCondStore()
        return true
    }

    /// Turns CONDSTORE on (RFC 7162 §3.1). With a mailbox already selected, the client hears its
    /// HIGHESTMODSEQ now, as SELECT would have told it (§3.1.2.1).
    func enableCondStore() {
        guard !condStore else { return }
        condStore = true
        if let selection, state == .selected {
            untagged("OK [HIGHESTMODSEQ \(selection.mailbox.state.highestModSeq)] Highest.")
        }
    }

    /// Leaves the selected mailbox (UNSELECT, CLOSE, SELECT of another, logout). `announcing`:
    /// a SELECT or EXAMINE closed it, which a QRESYNC or IMAP4rev2 client hears as `OK [CLOSED]`
    /// (RFC 7162 §3.2.11, RFC 9051 §6.3.2).
    func closeSelection(announcing: Bool = false) {
        guard let selection else { return }
        if announcing && (qresync || imap4rev2) { untagged("OK [CLOSED] Previous mailbox closed.") }
        self.selection = nil
        savedResult = []
        notify?.pendingNewMessages = []
        selection.stopObserving()
        let mailbox = selection.mailbox
        if let account, let connection, connection.isActive {
            // Releasing the last user of a mailbox may write its index: not on the event loop.
            _ = connection.services.blockingWork.run(on: connection.eventLoop) { account.close(mailbox) }
        } else {
            account?.close(mailbox)
        }
        if state == .selected { state = .authenticated }
    }

    /// The selected mailbox published a change (on the event loop): an idling client hears of
    /// it at once, so does one that asked for it with NOTIFY; otherwise it is announced after the
    /// client's next command.
    func mailboxChanged(in selection: IMAPSelection, _ change: MailboxChange) {
        guard selection === self.selection else { return }
        guard idle != nil else { return selectedMailboxChanged(change) }
        announceChanges(expunges: true)
        flush()
        if hasPendingNotifications { deliverNotifications() }
    }
}

/// Tagged response states (RFC 3501 §7.1).
enum IMAPStatus: String {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
}
