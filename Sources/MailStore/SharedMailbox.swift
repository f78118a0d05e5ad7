import Glibc
import POSIXSupport
import Synchronization

/// The one in-process coordinator of an open mailbox (a Maildir or Maildir++ folder directory),
/// handed out by `MailboxRegistry`. Every writer goes through it: it serialises them (the `Maildir`
/// process lock and `dovecot-uidlist.lock` dotlock keep working across processes, Dovecot included),
/// keeps the index (`loft-index`) and publishes every change to its observers.
///
/// Blocking methods do disk I/O: call them from a thread pool, never from an event loop. `state`,
/// `observe`, `claimRecent` and the cache blobs never wait for disk work.
public final class SharedMailbox: Sendable {
    /// The Maildir directory, as opened.
    public let path: String
    /// The canonical path: the registry's key.
    let key: String
    let maildir: Maildir
    let publisher: MailboxPublisher
    let expectedEvents = ExpectedEvents()
    let cache: MessageCache
    /// The writers' lock, held during their disk work, around the index (nil until loaded).
    private let core = Mutex<MailboxIndex?>(nil)
    /// `dovecot-uidlist` as this coordinator last read or wrote it, with the file's stamp then: an
    /// APPEND or COPY reuses it while the file is unchanged, instead of parsing a line per message
    /// of the mailbox under the lock (300 ms at 100,000 messages, BENCHMARKS §17).
    private let uidListCache = Mutex<(stamp: FileStamp, list: DovecotUIDList)?>(nil)
    /// Set by the watcher when another program touched `new/` or `cur/`, and by `changed(path:)`: the
    /// next refresh rescans whatever the stamps say.
    let foreignChange = Atomic<Bool>(false)
    /// Whether inotify watches `new/` and `cur/`; without it, stamps in the racy window force a rescan.
    let isWatched = Atomic<Bool>(false)
    /// The index differs from `loft-index` on disk.
    private let indexChanged = Atomic<Bool>(false)
    /// How many times the Maildir was read (`rescan`): tests check an unchanged mailbox opens without.
    let rescanCount = Atomic<Int>(0)
    /// The highest modseq a previous coordinator of this path handed out in this process.
    private let modSeqFloor: UInt64

    /// Modseqs reserved at each persisted `modSeqCeiling` (one index write per that many changes).
    private static let modSeqReservation: UInt64 = 10_000

    init(maildir: Maildir, key: String, cacheStamp: String, modSeqFloor: UInt64) {
        self.path = maildir.path
        self.key = key
        self.maildir = maildir
        self.modSeqFloor = modSeqFloor
        self.publisher = MailboxPublisher(MailboxIndex())
        self.cache = MessageCache(maildir: maildir.path, stamp: cacheStamp)
    }

    // MARK: - Reading the state

    /// Non-blocking: the current state.
    public var state: MailboxState { publisher.state }

    /// Non-blocking. `handler` is called (on any thread, never while holding the mailbox lock) for every
    /// change after this call, in order, until the observation is cancelled.
    public func observe(_ handler: @escaping @Sendable (MailboxChange) -> Void) -> MailboxObservation {
        observeWithState(handler).observation
    }

    /// `observe`, plus the state the first change applies to: nothing can slip in between.
    public func observeWithState(_ handler: @escaping @Sendable (MailboxChange) -> Void)
        -> (observation: MailboxObservation, state: MailboxState) {
        let (id, state) = publisher.observe(handler)
        let publisher = self.publisher
        return (MailboxObservation { publisher.removeObserver(id) }, state)
    }

    /// RFC 3501 \Recent: the UIDs that arrived since the last session claimed them (messages found in
    /// `new/`, appended, copied or moved here). Each UID is handed to exactly one caller.
    public func claimRecent() -> Set<UInt32> {
        publisher.claimRecent()
    }

    /// The IMAP layer's blob for `uid` (valid for the registry's `cacheStamp`), nil when none is kept.
    public func cachedBlob(uid: UInt32) -> [UInt8]? {
        cache.blob(uid: uid)
    }

    /// Keeps `blob` for `uid`; written to `loft-cache` later (on release, shutdown or the poll tick).
    public func setCachedBlob(_ blob: [UInt8], uid: UInt32) {
        guard publisher.message(uid: uid) != nil else { return }
        cache.setBlob(blob, uid: uid)
    }

    // MARK: - Loading and refreshing

    /// Blocking. Loads the index once (`loft-index` when its stamps match the Maildir, else a rescan).
    /// `watch` adds the inotify watches first, so no change between loading and watching is missed.
    func loadIfNeeded(watch: () -> Bool) throws {
        let loaded: Bool = try core.withLock { core in
            guard core == nil else { return false }
            isWatched.store(watch(), ordering: .sequentiallyConsistent)
            let (index, recent) = try load()
            core = index
            publisher.publish(index, changes: [], origin: nil, recent: recent)
            return true
        }
        if loaded { cache.load(uidValidity: state.uidValidity, uids: state.messages.map(\.uid)) }
    }

    private func load() throws -> (MailboxIndex, recent: [UInt32]) {
        let stamps = try MaildirStamps.take(maildir: path)
        let stored = MailboxIndexFile.read(maildir: path)
        if var stored, let storedStamps = stored.stamps, storedStamps.sameFiles(as: stamps),
           storedStamps.isTrustworthy {
            stored.highestModSeq = max(stored.highestModSeq, stored.modSeqCeiling, modSeqFloor)
            return (stored, [])
        }
        // A stale index still carries the modseqs and tells which messages are new since.
        var index = stored ?? MailboxIndex()
        index.highestModSeq = max(index.highestModSeq, index.modSeqCeiling, modSeqFloor)
        if stored == nil {
            // Whatever was expunged before this index existed is unknown.
            index.tombstones = MailboxTombstones(floor: index.highestModSeq)
        }
        let result = try rescan(&index, knownBefore: stored != nil)
        try? persist(&index)  // a read-only Maildir still opens, only slower next time
        return (index, result.recent)
    }

    /// Blocking. Brings the index up to date with the disk when `new/`, `cur/` or `dovecot-uidlist`
    /// changed (stat compare; no readdir when nothing changed) and publishes what changed.
    @discardableResult
    public func refresh() throws -> MailboxState {
        try withIndex { index in try refreshLocked(&index) }
        publisher.deliver()
        return state
    }

    private func refreshLocked(_ index: inout MailboxIndex) throws {
        let current = try MaildirStamps.take(maildir: path)
        guard let stored = index.stamps, !foreignChange.load(ordering: .sequentiallyConsistent),
              stored.new == current.new, stored.cur == current.cur, stored.uidList == current.uidList,
              isWatched.load(ordering: .sequentiallyConsistent) || stored.isTrustworthy else {
            try rescanAndPublish(&index)
            return
        }
        if stored.keywords != current.keywords {
            // Only the keyword table changed (a new keyword, not used by any file yet).
            index.keywords = try maildir.readKeywords()
            index.stamps?.keywords = current.keywords
            indexChanged.store(true, ordering: .sequentiallyConsistent)
            publisher.publish(index, changes: [], origin: nil)
        }
    }

    func rescanAndPublish(_ index: inout MailboxIndex) throws {
        let result = try rescan(&index, knownBefore: true)
        publisher.publish(index, changes: result.changes, origin: nil, recent: result.recent)
    }

    /// Reads the Maildir (`Maildir.synchronize`, which also moves `new/` to `cur/` and keeps the uidlist)
    /// and brings `index` in line: new UIDs are appended, changed file names change flags (one new modseq
    /// for this whole rescan), missing UIDs are expunged.
    /// - Parameter knownBefore: whether `index` is what this mailbox looked like before; otherwise only
    ///   messages found in `new/` count as \Recent.
    private func rescan(_ index: inout MailboxIndex, knownBefore: Bool)
        throws -> (changes: [MailboxChange.Kind], recent: [UInt32]) {
        foreignChange.store(false, ordering: .sequentiallyConsistent)  // an event from now on sets it again
        rescanCount.add(1, ordering: .relaxed)
        let inNew = try POSIX.listDirectory(path + "/new")
        if isWatched.load(ordering: .sequentiallyConsistent) {
            expectedEvents.expect(inNew + inNew.map { $0.contains(":") ? $0 : $0 + ":2," })
        }
        let snapshot = try maildir.synchronize()
        let keywords = try maildir.readKeywords()
        let stamps = try MaildirStamps.take(maildir: path)
        let arrivedInNew = Set(inNew.map { MaildirFileName($0).uniqueName })

        var old = (records: index.records, locations: index.locations)
        var expunged: [UInt32] = []
        let modSeq = index.highestModSeq + 1
        let uidsRestarted = index.uidValidity != 0 && index.uidValidity != snapshot.uidValidity
        if uidsRestarted {
            // The uidlist was recreated: every UID is new, and the old ones mean nothing any more.
            expunged = old.records.map(\.uid)
            old = ([], [])
            index.tombstones.reset(floor: modSeq)
        }
        var records: [MessageRecord] = []
        var locations: [MessageLocation] = []
        records.reserveCapacity(snapshot.messages.count)
        locations.reserveCapacity(snapshot.messages.count)
        var appended: [MessageRecord] = []
        var changed: [MessageRecord] = []
        var recent: [UInt32] = []
        var arrivedInCur = false
        var next = 0
        for message in snapshot.messages {
            while next < old.records.count && old.records[next].uid < message.uid {
                expunged.append(old.records[next].uid)
                next += 1
            }
            let location = MessageLocation(directory: message.directory, fileName: message.fileName)
            let flags = MessageFlags(message.flags)
            let bits = KeywordBits.mask(ofLetters: message.keywordLetters)
            if next < old.records.count && old.records[next].uid == message.uid {
                var record = old.records[next]
                next += 1
                // Only an index from before EMAILIDs were kept (version 2) lacks the id of a copy.
                record.emailID = message.emailID
                if record.flags != flags || record.keywordBits != bits {
                    record.flags = flags
                    record.keywordBits = bits
                    record.modSeq = modSeq
                    changed.append(record)
                }
                records.append(record)
                locations.append(location)
            } else {
                // INTERNALDATE is the file's mtime; a file gone since the listing is left to the next rescan.
                guard let info = try POSIX.fileStatus(path + "/" + message.relativePath) else { continue }
                let record = MessageRecord(uid: message.uid, flags: flags, keywordBits: bits, modSeq: modSeq,
                                           internalDate: Int64(info.st_mtim.tv_sec), size: message.size,
                                           virtualSize: message.virtualSize, emailID: message.emailID)
                appended.append(record)
                records.append(record)
                locations.append(location)
                if knownBefore || arrivedInNew.contains(message.uniqueName) { recent.append(message.uid) }
                if !arrivedInNew.contains(message.uniqueName) { arrivedInCur = true }
            }
        }
        expunged += old.records[next...].map(\.uid)
        // Loft's own writes never come through here (unless they meet a foreign change): an expunge, or
        // a message in cur/ that did not arrive through new/, was made by another program, which may not
        // have updated the quota count.
        if knownBefore && (!expunged.isEmpty || arrivedInCur) { MaildirQuota.invalidate(folder: path) }

        var changes: [MailboxChange.Kind] = []
        if !expunged.isEmpty { changes.append(.expunged(expunged)) }
        if !changed.isEmpty { changes.append(.flagsChanged(changed)) }
        if !appended.isEmpty { changes.append(.appended(appended)) }
        if !changes.isEmpty { index.highestModSeq = modSeq }
        if !expunged.isEmpty && !uidsRestarted { index.tombstones.record(expunged.sorted(), modSeq: modSeq) }
        index.uidValidity = snapshot.uidValidity
        index.nextUID = snapshot.nextUID
        index.mailboxGUID = snapshot.mailboxGUID
        index.records = records
        index.locations = locations
        index.keywords = keywords
        index.stamps = stamps
        indexChanged.store(true, ordering: .sequentiallyConsistent)
        cache.remove(uids: expunged)
        return (changes, recent)
    }

    // MARK: - Writing

    /// Runs `body` on the index under the writers' lock. When it throws, the index stays as it was and
    /// the next refresh rescans (the disk may be half changed).
    func withIndex<Result>(_ body: (inout MailboxIndex) throws -> Result) throws -> Result {
        try core.withLock { core in
            guard var index = core else { preconditionFailure("SharedMailbox \(path) used before it was loaded") }
            do {
                let result = try body(&index)
                core = index
                return result
            } catch {
                foreignChange.store(true, ordering: .sequentiallyConsistent)
                throw error
            }
        }
    }

    /// One of Loft's own writes: `body` changes the disk and the index and says what changed; it is
    /// published with `origin`. Afterwards the stamps are taken again, so the change does not force a
    /// rescan, unless another program had changed the Maildir before (then it is rescanned now).
    func write<Result>(origin: UInt64?,
                       _ body: (inout MailboxIndex) throws -> (Result, [MailboxChange.Kind], recent: [UInt32]))
        throws -> Result {
        let result = try withIndex { index in
            let before = try MaildirStamps.take(maildir: path)
            let untouched = index.stamps.map { before.sameFiles(as: $0) } ?? false
            let (result, changes, recent) = try body(&index)
            publisher.publish(index, changes: changes, origin: origin, recent: recent)
            if untouched && !foreignChange.load(ordering: .sequentiallyConsistent) {
                index.stamps = try MaildirStamps.take(maildir: path)
            } else {
                try rescanAndPublish(&index)
            }
            indexChanged.store(true, ordering: .sequentiallyConsistent)
            if index.highestModSeq > index.modSeqCeiling {
                // Best effort: a failed write only weakens the guarantee after a crash.
                try? persist(&index, reserving: true)
            }
            return result
        }
        publisher.deliver()
        return result
    }

    /// Blocking. Writes `loft-index` and `loft-cache` when they changed (release, shutdown, poll tick).
    func persistIfChanged() throws {
        try withIndex { index in
            if indexChanged.load(ordering: .sequentiallyConsistent) { try persist(&index) }
        }
        try cache.persistIfChanged(uidValidity: state.uidValidity)
    }

    /// Writes `loft-index`. With `reserving`, the ceiling goes a reservation above the highest modseq, so
    /// changes after this write still start above it after a crash; without, the file is exactly current
    /// and a clean reopen goes on from there.
    private func persist(_ index: inout MailboxIndex, reserving: Bool = false) throws {
        index.modSeqCeiling = index.highestModSeq + (reserving ? Self.modSeqReservation : 0)
        indexChanged.store(false, ordering: .sequentiallyConsistent)
        do {
            try MailboxIndexFile.write(index, maildir: path)
        } catch {
            indexChanged.store(true, ordering: .sequentiallyConsistent)
            throw error
        }
    }

    /// The keyword mask for `names`; with `assign`, names without a letter get one in `dovecot-keywords`.
    /// - Throws: `MailStoreError.keywordLimitReached` / `.invalidKeyword` (nothing changed then).
    func keywordMask(_ names: [String], _ index: inout MailboxIndex, assign: Bool) throws -> UInt32 {
        let missing = Set(names.filter { index.keywords.letter(for: $0) == nil })
        if assign && !missing.isEmpty {
            do {
                index.keywords = try maildir.updateKeywords { table in
                    for name in missing.sorted() { _ = try table.assignLetter(for: name) }
                }
            } catch let MailboxError.keywordLimitReached(limit) {
                throw MailStoreError.keywordLimitReached(path: path, limit: limit)
            } catch let MailboxError.invalidKeyword(name) {
                throw MailStoreError.invalidKeyword(path: path, name: name)
            }
        }
        return KeywordBits.mask(ofLetters: names.compactMap { index.keywords.letter(for: $0) })
    }

    /// Runs `body` with `dovecot-uidlist` read under the Maildir's locks (the process lock and the dotlock),
    /// so files placed in `cur/` inside `body` get their UIDs from us, not from another process's sync.
    func withUIDList<Result>(_ index: MailboxIndex, _ body: (inout DovecotUIDList) throws -> Result) throws
        -> Result {
        try maildir.withExclusiveAccess {
            let stamp = try maildir.uidListStamp()
            let cached = uidListCache.withLock { cache in
                defer { cache = nil }  // until `body` is through: it may fail half-way
                return cache.flatMap { $0.stamp == stamp ? $0.list : nil }
            }
            var list = try cached ?? maildir.readUIDList()
                ?? DovecotUIDList.fresh(uidValidity: index.uidValidity, mailboxGUID: "")
            let result = try body(&list)
            // `body` saved what it added (or added nothing): the list is what the file now holds.
            if let saved = try maildir.uidListStamp() {
                list.markSaved()
                uidListCache.withLock { $0 = (saved, list) }
            }
            return result
        }
    }

    /// Takes the next UID from `list` for `uniqueName`; `messageGUID` goes into the record's `G` field.
    func assignUID(_ uniqueName: String, in list: inout DovecotUIDList, messageGUID: String? = nil) throws -> UInt32 {
        guard list.nextUID < UInt32.max else { throw MailStoreError.uidsExhausted(path: path + "/dovecot-uidlist") }
        let uid = list.nextUID
        list.records.append(.init(uid: uid, extensions: messageGUID.map { ["G" + $0] } ?? [], uniqueName: uniqueName))
        list.nextUID += 1
        return uid
    }

    /// Registers names of our own coming inotify events (only while watched).
    func expectEvents(_ names: [String]) {
        if isWatched.load(ordering: .sequentiallyConsistent) { expectedEvents.expect(names) }
    }
}
