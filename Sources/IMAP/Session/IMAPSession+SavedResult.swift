extension IMAPSession {
    /// RFC 5182 §2.1: a command that names `$` works on what the last `SEARCH RETURN (SAVE)` kept,
    /// less the messages expunged since (gone from this session's view). The result is kept as
    /// UIDs and turned into UIDs or sequence numbers as the command needs.
    func resolvingSavedResult(_ kind: IMAPCommand.Kind) -> IMAPCommand.Kind {
        guard let selection else { return kind }
        func set(_ set: IMAPSequenceSet, uid: Bool) -> IMAPSequenceSet {
            set.isSavedResult ? savedResultSet(uid: uid, selection) : set
        }
        switch kind {
        case .fetch(let s, let attributes, let uid, let changedSince, let vanished):
            return .fetch(set(s, uid: uid), attributes, uid: uid, changedSince: changedSince, vanished: vanished)
        case .store(let s, let action, let uid, let unchangedSince):
            return .store(set(s, uid: uid), action, uid: uid, unchangedSince: unchangedSince)
        case .copy(let s, let name, let uid):
            return .copy(set(s, uid: uid), name, uid: uid)
        case .move(let s, let name, let uid):
            return .move(set(s, uid: uid), name, uid: uid)
        case .uidExpunge(let s):
            return .uidExpunge(set(s, uid: true))
        case .search(var search, let uid):
            search.key = resolvingSavedResult(search.key, selection)
            return .search(search, uid: uid)
        case .sort(var sort, let uid):
            sort.search.key = resolvingSavedResult(sort.search.key, selection)
            return .sort(sort, uid: uid)
        case .thread(var thread, let uid):
            thread.search.key = resolvingSavedResult(thread.search.key, selection)
            return .thread(thread, uid: uid)
        default:
            return kind
        }
    }

    private func resolvingSavedResult(_ key: IMAPSearchKey, _ selection: IMAPSelection) -> IMAPSearchKey {
        switch key {
        case .sequenceSet(let set) where set.isSavedResult: .sequenceSet(savedResultSet(uid: false, selection))
        case .uid(let set) where set.isSavedResult: .uid(savedResultSet(uid: true, selection))
        case .not(let inner): .not(resolvingSavedResult(inner, selection))
        case .or(let left, let right): .or(resolvingSavedResult(left, selection), resolvingSavedResult(right, selection))
        case .and(let keys): .and(keys.map { resolvingSavedResult($0, selection) })
        default: key
        }
    }

    /// The saved UIDs still in this session's view, as UIDs or as their sequence numbers.
    private func savedResultSet(uid: Bool, _ selection: IMAPSelection) -> IMAPSequenceSet {
        var numbers: [UInt32] = []
        for saved in savedResult {
            guard let sequenceNumber = selection.sequenceNumber(ofUID: saved) else { continue }
            numbers.append(uid ? saved : UInt32(sequenceNumber))
        }
        return IMAPSequenceSet(numbers.map { IMAPSequenceRange(.number($0)) })
    }

    /// RFC 5182 §2.4: with MIN and/or MAX but neither ALL nor COUNT, only those are saved.
    func saveSearchResult(_ found: [UInt32], options: [IMAPSearchReturnOption], uid: Bool) {
        guard options.contains(.save), let selection else { return }
        var kept = found
        let asked = Set(options)
        if !asked.contains(.all), !asked.contains(.count), asked.contains(.min) || asked.contains(.max) {
            kept = [asked.contains(.min) ? found.first : nil, asked.contains(.max) ? found.last : nil].compactMap { $0 }
        }
        savedResult = Set(uid ? kept : kept.map { selection.uids[Int($0) - 1] }).sorted()
    }
}
