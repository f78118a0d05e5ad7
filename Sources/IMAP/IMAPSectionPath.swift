import MIME

/// Finds the MIME part a section's part number names (RFC 3501 §6.4.5): each number picks a child of a
/// multipart; a non-multipart entity only has part 1 (itself); after a message/rfc822 part the numbers
/// continue inside the encapsulated message.
enum IMAPSectionPath {
    static func part(at path: [Int], in root: MIMEPart) -> MIMEPart? {
        var part = root
        for (index, number) in path.enumerated() {
            let more = index + 1 < path.count
            if part.kind == .multipart {
                guard number >= 1, number <= part.children.count else { return nil }
                part = part.children[number - 1]
            } else {
                // A non-multipart entity has only part 1; going deeper needs an encapsulated message.
                guard number == 1, !more || part.kind == .message else { return nil }
            }
            if more, let inner = part.message {
                part = inner
            }
        }
        return part
    }
}
