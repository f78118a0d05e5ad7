/// RFC 5256 §3 THREAD algorithms over extracted keys. Pure; no recursion, so a reply chain of any
/// depth is safe.
public enum IMAPThreader {
    public static func thread(_ messages: [IMAPSortKeys], _ algorithm: IMAPThreadAlgorithm) -> IMAPThreadForest {
        switch algorithm {
        case .orderedSubject: orderedSubject(messages)
        case .references: references(messages)
        }
    }

    /// ORDEREDSUBJECT (RFC 5256 §3): sort by base subject, then sent date; each run of one base subject
    /// is a thread whose first message is the parent of all the others (in sent-date order); threads
    /// ordered by the sent date of their first message.
    public static func orderedSubject(_ messages: [IMAPSortKeys]) -> IMAPThreadForest {
        messages.withUnsafeBufferPointer { keys in
            // Positions, not keys, are sorted (see `IMAPSorter.order`).
            let sorted = keys.indices.sorted { a, b in
                let order = IMAPSorter.compare(keys[a].baseSubject, keys[b].baseSubject)
                return order != 0 ? order < 0 : IMAPSorter.bySentDate(keys[a], keys[b])
            }
            var nodes: [IMAPThreadForest.Node] = []
            var firsts: [(node: Int, message: Int)] = []
            var index = 0
            while index < sorted.count {
                let parent = nodes.count
                nodes.append(IMAPThreadForest.Node(message: keys[sorted[index]].sequenceNumber))
                firsts.append((parent, sorted[index]))
                var next = index + 1
                while next < sorted.count, keys[sorted[next]].baseSubject == keys[sorted[index]].baseSubject {
                    nodes[parent].children.append(nodes.count)
                    nodes.append(IMAPThreadForest.Node(message: keys[sorted[next]].sequenceNumber))
                    next += 1
                }
                index = next
            }
            firsts.sort { IMAPSorter.bySentDate(keys[$0.message], keys[$1.message]) }
            return IMAPThreadForest(nodes: nodes, roots: firsts.map(\.node))
        }
    }

    /// A message or dummy while REFERENCES builds its tree.
    struct Container {
        /// Index into the messages (in sequence order); nil for a dummy.
        var message: Int?
        var parent: Int?
        var children: [Int] = []
    }

    /// REFERENCES (RFC 5256 §3), steps 1 to 6.
    public static func references(_ input: [IMAPSortKeys]) -> IMAPThreadForest {
        let messages = input.sorted { $0.sequenceNumber < $1.sequenceNumber }
        var tree = ReferencesTree(messages: messages)
        tree.link()
        var roots = tree.prune(tree.roots())
        roots = tree.sortedByDate(roots)
        roots = tree.mergeBySubject(roots)
        tree.sortSiblings()
        roots = tree.sortedByDate(roots)
        let nodes = tree.containers.map { container in
            IMAPThreadForest.Node(message: container.message.map { messages[$0].sequenceNumber }, children: container.children)
        }
        return IMAPThreadForest(nodes: nodes, roots: roots)
    }

    struct ReferencesTree {
        let messages: [IMAPSortKeys]
        var containers: [Container] = []
        var byID: [[UInt8]: Int] = [:]

        /// Sent dates and sequence numbers apart from the keys: the sorts below compare only these.
        let sentDates: [Int64]
        let sequenceNumbers: [UInt32]

        init(messages: [IMAPSortKeys]) {
            self.messages = messages
            sentDates = messages.map(\.sentDate)
            sequenceNumbers = messages.map(\.sequenceNumber)
            containers.reserveCapacity(messages.count)
        }

        /// Step 1: parent/child links from each message's references, in sequence order.
        mutating func link() {
            for (index, message) in messages.enumerated() {
                let this: Int
                if let id = message.messageID, let existing = byID[id], containers[existing].message == nil {
                    // Referenced before it was seen: the dummy becomes this message.
                    containers[existing].message = index
                    this = existing
                } else {
                    // No (valid) Message-ID, or a duplicate of an earlier message's: a unique ID, i.e. no entry.
                    this = containers.count
                    containers.append(Container(message: index))
                    if let id = message.messageID, byID[id] == nil { byID[id] = this }
                }
                // 1A: each reference the parent of the next, unless the next has a parent already or a
                // loop would follow. Unknown IDs get a dummy, used for every later reference to them.
                var previous: Int?
                for reference in message.references {
                    let current = container(for: reference)
                    if let previous, containers[current].parent == nil, !wouldLoop(parent: previous, child: current) {
                        attach(current, to: previous)
                    }
                    previous = current
                }
                // 1B: the last reference is the parent (an existing link came from a truncated References).
                if containers[this].parent != nil { detach(this) }
                if let previous, !wouldLoop(parent: previous, child: this) { attach(this, to: previous) }
            }
        }

        mutating func container(for id: [UInt8]) -> Int {
            if let existing = byID[id] { return existing }
            containers.append(Container(message: nil))
            byID[id] = containers.count - 1
            return containers.count - 1
        }

        /// Whether making `parent` the parent of `child` would close a loop: `parent` is `child` or below it.
        func wouldLoop(parent: Int, child: Int) -> Bool {
            // Nothing is below a childless container: no walk up a long chain for a new message.
            if containers[child].children.isEmpty { return parent == child }
            var node: Int? = parent
            while let current = node {
                if current == child { return true }
                node = containers[current].parent
            }
            return false
        }

        mutating func attach(_ child: Int, to parent: Int) {
            containers[child].parent = parent
            containers[parent].children.append(child)
        }

        mutating func detach(_ child: Int) {
            guard let parent = containers[child].parent else { return }
            containers[parent].children.removeAll { $0 == child }
            containers[child].parent = nil
        }

        /// Step 2: the messages and dummies without a parent, children of the root.
        func roots() -> [Int] {
            containers.indices.filter { containers[$0].parent == nil }
        }

        /// Step 3: a dummy without children goes; one with children gives them to its parent, except
        /// that at the top level it stays when it has more than one. Children before parents, so a
        /// dummy's children are final when its own turn comes.
        mutating func prune(_ roots: [Int]) -> [Int] {
            var preorder: [Int] = []
            var stack = roots
            while let node = stack.popLast() {
                preorder.append(node)
                stack += containers[node].children
            }
            for node in preorder.reversed() {
                containers[node].children = spliced(containers[node].children, under: node, atTop: false)
            }
            return spliced(roots, under: nil, atTop: true)
        }

        mutating func spliced(_ children: [Int], under parent: Int?, atTop: Bool) -> [Int] {
            guard children.contains(where: { containers[$0].message == nil }) else { return children }
            var result: [Int] = []
            for child in children {
                if containers[child].message != nil {
                    result.append(child)
                } else if containers[child].children.isEmpty {
                    continue
                } else if atTop && containers[child].children.count > 1 {
                    result.append(child)
                } else {
                    for grandchild in containers[child].children { containers[grandchild].parent = parent }
                    result += containers[child].children
                    containers[child].children = []
                }
            }
            return result
        }

        /// The message that stands for a container when ordering and grouping: itself, or a dummy's
        /// first child (RFC 5256 §3 steps 4, 5B and 6).
        func representative(_ node: Int) -> Int? {
            if let message = containers[node].message { return message }
            guard let first = containers[node].children.first else { return nil }
            return containers[first].message
        }

        /// RFC 5256 §2.2 order of two containers' representatives: sent date, then sequence number.
        func earlier(_ a: Int, _ b: Int) -> Bool {
            guard let ma = representative(a), let mb = representative(b) else { return a < b }
            return sentDates[ma] != sentDates[mb] ? sentDates[ma] < sentDates[mb] : sequenceNumbers[ma] < sequenceNumbers[mb]
        }

        /// Steps 4 and 6 at the top level: by sent date, a dummy by its first child once its children are sorted.
        mutating func sortedByDate(_ nodes: [Int]) -> [Int] {
            for node in nodes where containers[node].message == nil { sortChildren(node) }
            return nodes.sorted(by: earlier)
        }

        mutating func sortChildren(_ node: Int) {
            guard containers[node].children.count > 1 else { return }
            let sorted = containers[node].children.sorted(by: earlier)
            containers[node].children = sorted
        }

        /// Step 6 below the top: every set of siblings by sent date. After pruning only top-level
        /// containers can be dummies, so the order of these sorts does not matter.
        mutating func sortSiblings() {
            for node in containers.indices where containers[node].message != nil { sortChildren(node) }
        }

        func isReplyOrForward(_ node: Int) -> Bool {
            containers[node].message.map { messages[$0].isReplyOrForward } ?? false
        }

        /// Step 5: threads at the top level whose subjects agree are gathered.
        mutating func mergeBySubject(_ roots: [Int]) -> [Int] {
            // 5B: per subject, the thread the others join: a dummy if there is one, else the first
            // that is not a reply or forward, else the first.
            var table: [[UInt8]: Int] = [:]
            for node in roots {
                guard let subject = representative(node).map({ messages[$0].baseSubject }), !subject.isEmpty else { continue }
                guard let held = table[subject] else {
                    table[subject] = node
                    continue
                }
                if containers[held].message != nil,
                    containers[node].message == nil || (isReplyOrForward(held) && !isReplyOrForward(node))
                {
                    table[subject] = node
                }
            }
            // 5C: merge each thread into the table's.
            var slots: [Int?] = roots
            var slotOf: [Int: Int] = [:]
            for (slot, node) in roots.enumerated() { slotOf[node] = slot }
            for slot in slots.indices {
                guard let node = slots[slot], let subject = representative(node).map({ messages[$0].baseSubject }), !subject.isEmpty,
                    let held = table[subject], held != node
                else { continue }
                let nodeIsDummy = containers[node].message == nil
                let heldIsDummy = containers[held].message == nil
                if nodeIsDummy && heldIsDummy {
                    for child in containers[node].children { containers[child].parent = held }
                    containers[held].children += containers[node].children
                    containers[node].children = []
                } else if heldIsDummy || (isReplyOrForward(node) && !isReplyOrForward(held)) {
                    attach(node, to: held)
                } else {
                    let dummy = containers.count
                    containers.append(Container(message: nil))
                    attach(held, to: dummy)
                    attach(node, to: dummy)
                    if let heldSlot = slotOf[held] {
                        slots[heldSlot] = dummy
                        slotOf[dummy] = heldSlot
                    }
                    table[subject] = dummy
                }
                slots[slot] = nil
            }
            return slots.compactMap { $0 }
        }
    }
}
