import Foundation
import Testing

/// SORT, THREAD and ESORT as a webmail's library sends them: Python's imaplib against the real
/// `loft serve`, on 143 (STARTTLS) and 993 (implicit TLS), over messages APPENDed with chosen headers.
@Suite(.serialized) struct IMAPSortEndToEndTests {
    @Test("imaplib sort() and thread(), UID SORT/THREAD and a raw ESORT on both IMAP ports")
    func sortAndThread() async throws {
        let server = try await LoftProcess.runningIMAP()
        defer { server.cleanUpNow() }
        let r = try await PythonIMAP.replies(#"""
        starttls, implicit = int(sys.argv[1]), int(sys.argv[2])
        messages = [
            ("03-Jan-2020 10:00:00 +0000", "Date: Wed, 1 Jan 2020 10:00:00 +0000\r\nFrom: Zed <zed@example.org>\r\n"
                "Subject: Hello\r\nMessage-ID: <a@example.org>\r\n\r\none\r\n"),
            ("01-Jan-2020 10:00:00 +0000", "Date: Thu, 2 Jan 2020 10:00:00 +0000\r\nFrom: alice@example.org\r\n"
                "Subject: Re: Hello\r\nMessage-ID: <b@example.org>\r\nReferences: <a@example.org>\r\n\r\ntwo\r\n"),
            ("31-Dec-2019 10:00:00 +0000", "Date: broken\r\nFrom: bob@example.org\r\nSubject: Another\r\n"
                "Message-ID: <c@example.org>\r\n\r\nthree\r\n"),
            ("02-Jan-2020 10:00:00 +0000", "Date: Wed, 1 Jan 2020 12:00:00 +0200\r\nFrom: carol@example.org\r\n"
                "Subject: =?UTF-8?Q?Re=3A_=5Blist=5D_hello?=\r\nMessage-ID: <d@example.org>\r\n"
                "In-Reply-To: <b@example.org>\r\n\r\nfour\r\n"),
        ]
        m = connect("ssl", implicit)
        login(m)
        for arrival, message in messages:
            m.append("INBOX", None, '"' + arrival + '"', message.encode())
        m.logout()
        for mode, port in (("starttls", starttls), ("ssl", implicit)):
            m = connect(mode, port)
            login(m)
            out[mode + "_capability"] = call(m, "capability")
            m.select("INBOX")
            out[mode + "_date"] = call(m, "sort", "DATE", "UTF-8", "ALL")
            out[mode + "_reverse_subject"] = call(m, "sort", "(REVERSE SUBJECT DATE)", "UTF-8", "ALL")
            out[mode + "_not_zed"] = call(m, "sort", "FROM", "UTF-8", "NOT", "FROM", "zed")
            out[mode + "_references"] = call(m, "thread", "REFERENCES", "UTF-8", "ALL")
            out[mode + "_orderedsubject"] = call(m, "thread", "ORDEREDSUBJECT", "UTF-8", "ALL")
            out[mode + "_badcharset"] = call(m, "sort", "DATE", "X-UNKNOWN", "ALL")
            m.store("1", "+FLAGS.SILENT", "(\\Deleted)")
            m.expunge()
            out[mode + "_uid_sort"] = call(m, "uid", "SORT", "(ARRIVAL)", "UTF-8", "ALL")
            out[mode + "_uid_thread"] = call(m, "uid", "THREAD", "REFERENCES", "UTF-8", "ALL")
            out[mode + "_seq_thread"] = call(m, "thread", "REFERENCES", "UTF-8", "ALL")
            m.logout()
            raw_client = Raw(port, mode)
            raw_client.login()
            raw_client.cmd("S", "SELECT INBOX")
            out[mode + "_esort"] = raw(raw_client.cmd("E1", "SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL"))
            out[mode + "_uid_esort"] = raw(raw_client.cmd("E2", "UID SORT RETURN (COUNT ALL) (REVERSE ARRIVAL) UTF-8 ALL"))
            raw_client.cmd("Z", "LOGOUT")
            raw_client.close()
            # Put message 1 back for the next port.
            m = connect("ssl", implicit)
            login(m)
            m.append("INBOX", None, '"' + messages[0][0] + '"', messages[0][1].encode())
            m.logout()
        done()
        """#, ["\(server.imapStartTLSPort)", "\(server.imapImplicitPort)"])

        // On the first port message 1 has UID 1; it is expunged and appended again as UID 5 before
        // the second port, so there the messages are UIDs 2, 3, 4, 5 (sequence 1 to 4).
        for mode in ["starttls", "ssl"] {
            let capabilities = Set((r[mode + "_capability"]?.data.first ?? "").split(separator: " "))
            #expect(["SORT", "SORT=DISPLAY", "ESORT", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES"].allSatisfy { capabilities.contains($0) },
                    "\(mode): \(capabilities)")
            #expect(r[mode + "_badcharset"]?.tagged.contains("NO [BADCHARSET (US-ASCII UTF-8)]") == true,
                    "\(mode): \(String(describing: r[mode + "_badcharset"]))")
        }
        // First port, messages 1 to 4 in UID and sequence order (see SortSessionTests for the why).
        #expect(r["starttls_date"]?.data == ["3 1 4 2"], "\(String(describing: r["starttls_date"]))")
        #expect(r["starttls_reverse_subject"]?.data == ["1 4 2 3"], "\(String(describing: r["starttls_reverse_subject"]))")
        #expect(r["starttls_not_zed"]?.data == ["2 3 4"], "\(String(describing: r["starttls_not_zed"]))")
        #expect(r["starttls_references"]?.data == ["(3)(1 2 4)"], "\(String(describing: r["starttls_references"]))")
        #expect(r["starttls_orderedsubject"]?.data == ["(3)(1 (4)(2))"], "\(String(describing: r["starttls_orderedsubject"]))")
        #expect(r["starttls_uid_sort"]?.data == ["3 2 4"], "\(String(describing: r["starttls_uid_sort"]))")
        #expect(r["starttls_uid_thread"]?.data == ["(3)(2 4)"], "\(String(describing: r["starttls_uid_thread"]))")
        #expect(r["starttls_seq_thread"]?.data == ["(2)(1 3)"], "\(String(describing: r["starttls_seq_thread"]))")
        // The raw client comes after the expunge: sequence 1 to 3 are UIDs 2, 3, 4.
        #expect(r["starttls_esort"]?.lines.first == #"* ESEARCH (TAG "E1") MIN 2 MAX 1 COUNT 3 ALL 2:3,1"#,
                "\(String(describing: r["starttls_esort"]))")
        #expect(r["starttls_uid_esort"]?.lines.first == #"* ESEARCH (TAG "E2") UID COUNT 3 ALL 4,2:3"#,
                "\(String(describing: r["starttls_uid_esort"]))")
        // Second port: message 1 came back as UID 5, so sequence 1 to 4 are UIDs 2, 3, 4, 5; 1 and 4 (the
        // old messages 4 and 1) were sent at the same instant.
        #expect(r["ssl_date"]?.data == ["2 3 4 1"], "\(String(describing: r["ssl_date"]))")
        #expect(r["ssl_references"]?.data == ["(2)(4 1 3)"], "\(String(describing: r["ssl_references"]))")
        // After expunging UID 2: its reply (UID 4) joins UID 5 by subject, as a reply to an original.
        #expect(r["ssl_uid_sort"]?.data == ["3 4 5"], "\(String(describing: r["ssl_uid_sort"]))")
        #expect(r["ssl_uid_thread"]?.data == ["(3)(5 4)"], "\(String(describing: r["ssl_uid_thread"]))")
        #expect(r["ssl_esort"]?.lines.first == #"* ESEARCH (TAG "E1") MIN 1 MAX 3 COUNT 3 ALL 1:3"#,
                "\(String(describing: r["ssl_esort"]))")
    }
}
