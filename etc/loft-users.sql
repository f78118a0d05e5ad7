-- Loft's users in PostgreSQL: the table the default queries of [auth.postgresql] read.
-- Create it as the role Loft connects as (or grant that role SELECT on it):
--   psql -d loft -f etc/loft-users.sql
-- The server reads the table on every login, so rows added, changed or removed take effect at once.

CREATE TABLE IF NOT EXISTS users (
    -- The local part, exactly as users type it (case-sensitive, as in the passwd-file).
    username text NOT NULL,
    -- The domain in lower case; a login without "@" is in the config's `domain`.
    domain text NOT NULL CHECK (domain = lower(domain)),
    -- A crypt(3) hash: yescrypt ($y$, `mkpasswd -m yescrypt`), SHA512-CRYPT ($6$) or bcrypt ($2b$);
    -- a Dovecot {SCHEME} prefix such as {CRYPT} or {SHA512-CRYPT} is allowed. NULL: the user cannot log in.
    password text,
    -- The user's home; NULL: <data_dir>/mail/<domain>/<username>. The Maildir is <home>/Maildir.
    home text,
    -- Extra fields, as in the passwd-file (NULL: not set): quota overrides such as '500M' / '20000'
    -- ('none': no limit), and IMAP extensions not offered to this user, e.g. 'QRESYNC,CONDSTORE'.
    quota_storage text,
    quota_messages text,
    imap_withhold_capabilities text,
    PRIMARY KEY (username, domain)
);
