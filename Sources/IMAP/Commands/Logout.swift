extension IMAPSession {
    /// RFC 3501 §6.1.3: BYE, the tagged OK, then the connection closes.
    func logout(_ tag: String) {
        untagged("BYE Logging out.")
        emit("\(tag) OK LOGOUT completed.")
        state = .loggedOut
        guard let connection else { return }
        closeSelection()
        flushAndClose(connection)
    }
}
