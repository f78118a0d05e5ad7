import IMAP

/// Messages for the FETCH and SEARCH tests, written with LF line endings as Maildir stores them.
enum FetchFixtures {
    static let simple = """
        From: Alice <alice@example.org>
        To: Bob <bob@example.com>
        Subject: Lunch
         on Friday
        Date: Fri, 4 Dec 2026 10:15:00 +0100
        Message-ID: <1@example.org>
        X-Note: one

        Hi Bob,
        see you at noon.

        """

    /// multipart/mixed: a quoted-printable text part, a message/rfc822 holding a multipart/alternative,
    /// and a base64 attachment; a preamble and an epilogue.
    static let multipart = """
        From: Carol <carol@example.net>
        To: dave@example.com
        Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= und
         =?ISO-8859-1?Q?K=E4se?=
        Date: Sat, 05 Dec 2026 23:30:00 -0800
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer"

        Preamble text.
        --outer
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        Caf=C3=A9 at nine=
         o'clock.
        --outer
        Content-Type: message/rfc822

        From: Eve <eve@example.org>
        Subject: Inner
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain

        inner plain
        --inner
        Content-Type: text/html

        <p>inner html</p>
        --inner--
        --outer
        Content-Type: application/octet-stream
        Content-Transfer-Encoding: base64

        aGlkZGVuIHRyZWFzdXJl
        --outer--
        Epilogue.

        """

    /// No Date:, a Bcc:, and a base64 ISO-8859-1 body ("Grüße aus Köln").
    static let undated = """
        From: Frank <frank@example.org>
        Bcc: Grace <grace@example.org>
        Subject: Notes
        X-Empty:
        Content-Type: text/plain; charset=ISO-8859-1
        Content-Transfer-Encoding: base64

        R3L832UgYXVzIEv2bG4=

        """

    static func lf(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func crlf(_ text: String) -> [UInt8] {
        text.utf8.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] }
    }

    /// Both stored forms of a message.
    static func variants(_ text: String) -> [(name: String, stored: [UInt8])] {
        [("LF", lf(text)), ("CRLF", crlf(text))]
    }
}

/// Text with every `\n` made `\r\n`, as bytes: what the wire carries.
func wire(_ text: String) -> [UInt8] {
    FetchFixtures.crlf(text)
}
