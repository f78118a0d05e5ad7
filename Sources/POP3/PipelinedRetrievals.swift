import NIOCore

/// The `RETR` commands a client has already sent behind the one being answered (RFC 2449 §6.6
/// PIPELINING), read from the input without consuming it, so their messages can be read from disk
/// in the same blocking job as the current one.
enum PipelinedRetrievals {
    /// The message numbers of the complete `RETR n` lines at the start of `input`, in order, up to
    /// the first line that is anything else (a DELE or RSET may change what a later RETR means),
    /// at most `limit` of them. Lines end as `LineFramer` ends them: at LF, a CR before it dropped.
    static func numbers(in input: ByteBufferView, limit: Int) -> [Int] {
        var numbers: [Int] = []
        var start = input.startIndex
        while numbers.count < limit, let newline = input[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var end = newline
            if end > start, input[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            guard let number = POP3Parser.retrieveNumber(input[start..<end]) else { break }
            numbers.append(number)
            start = newline + 1
        }
        return numbers
    }
}
