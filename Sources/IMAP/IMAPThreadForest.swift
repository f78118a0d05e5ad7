/// The result of THREAD: a forest of messages (by sequence number) and dummies. Flat (nodes refer to
/// their children by index) so that a very deep thread costs no deep recursion, neither to build,
/// nor to render, nor to free.
public struct IMAPThreadForest: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        /// The message's sequence number; nil for a dummy (a message that is referenced but absent).
        public var message: UInt32?
        /// Indices into `nodes`, in thread order.
        public var children: [Int]

        public init(message: UInt32?, children: [Int] = []) {
            self.message = message
            self.children = children
        }
    }

    public var nodes: [Node]
    /// The top-level threads, in order.
    public var roots: [Int]

    public init(nodes: [Node], roots: [Int]) {
        self.nodes = nodes
        self.roots = roots
    }

    /// RFC 5256 §4 `thread-data` after "THREAD": each thread as `thread-list`, a message with one child
    /// followed by that child (`3 6`), several children each in parentheses (`6 (4 23)(44 7 96)`), a
    /// dummy as only its children (`((3)(5))`). `number` turns a sequence number into what the client
    /// asked for (itself, or the UID for UID THREAD).
    public func text(number: (UInt32) -> UInt32 = { $0 }) -> String {
        enum Work {
            case text(String)
            case members(Int)
        }
        var out = ""
        var work: [Work] = []
        for root in roots.reversed() {
            work += [.text(")"), .members(root), .text("(")]
        }
        while let next = work.popLast() {
            switch next {
            case .text(let text):
                out += text
            case .members(var index):
                var nested: [Work] = []
                if let message = nodes[index].message {
                    out += String(number(message))
                    // thread-members: a chain of only children on one line.
                    while nodes[index].children.count == 1, let only = nodes[nodes[index].children[0]].message {
                        index = nodes[index].children[0]
                        out += " " + String(number(only))
                    }
                    if !nodes[index].children.isEmpty { nested.append(.text(" ")) }
                } else if nodes[index].children.count == 1 {
                    work.append(.members(nodes[index].children[0]))
                    continue
                }
                // thread-nested: each child its own thread-list.
                for child in nodes[index].children {
                    nested += [.text("("), .members(child), .text(")")]
                }
                work += nested.reversed()
            }
        }
        return out
    }
}
