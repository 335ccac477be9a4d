-- Presage schema version 2: consent. Times are Unix milliseconds (UTC); JSON is
-- stored as text exactly as written (the ledger's hashes cover it).

CREATE TABLE consent_purposes (
    org_id      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    basis       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, name)
) WITHOUT ROWID;

CREATE TABLE consent_settings (
    org_id              TEXT    NOT NULL PRIMARY KEY,
    gpc_objects         TEXT    NOT NULL DEFAULT '[]', -- JSON array of purposes
    honour_dnt          INTEGER NOT NULL DEFAULT 0,
    ttl_ms              INTEGER NOT NULL,
    erase_on_withdrawal INTEGER NOT NULL DEFAULT 0,
    updated_at          INTEGER NOT NULL
);

-- Notices are immutable: the store has no update path.
CREATE TABLE consent_notices (
    org_id     TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    language   TEXT    NOT NULL,
    title      TEXT    NOT NULL DEFAULT '',
    texts      TEXT    NOT NULL DEFAULT '{}', -- JSON object: purpose -> text
    sha256     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, version)
);

-- The consent ledger: one hash chain per organization, seq 1, 2, 3… without
-- gaps. Append-only: the triggers below refuse every UPDATE and DELETE.
-- Nothing in Presage rewrites it; a controlled path (DB.ExecRaw, used by the
-- tamper tests and reserved for GDPR erasure) drops and recreates the triggers
-- inside its own write transaction.
CREATE TABLE consent_records (
    org_id         TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    id             TEXT    NOT NULL UNIQUE,
    visitor_id     TEXT    NOT NULL,
    customer_id    TEXT    NOT NULL DEFAULT '',
    action         TEXT    NOT NULL,
    decisions      TEXT    NOT NULL DEFAULT '{}', -- JSON object: purpose -> decision
    notice_version INTEGER NOT NULL DEFAULT 0,
    notice_hash    TEXT    NOT NULL DEFAULT '',
    method         TEXT    NOT NULL,
    recorded_at    INTEGER NOT NULL,
    ip_prefix      TEXT    NOT NULL DEFAULT '',
    user_agent     TEXT    NOT NULL DEFAULT '',
    artefact       TEXT,                          -- JSON as given by a consent manager, NULL when absent
    prev_hash      TEXT    NOT NULL DEFAULT '',
    hash           TEXT    NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX consent_records_visitor ON consent_records (org_id, visitor_id, seq);
CREATE INDEX consent_records_customer ON consent_records (org_id, customer_id);

CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent_records is append-only: update refused');
END;

CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent_records is append-only: delete refused');
END;

-- The last record of each chain, moved by every append in the same
-- transaction.
CREATE TABLE consent_heads (
    org_id TEXT    NOT NULL PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT    NOT NULL
);

-- The current decision per subject and purpose, derived from the ledger.
CREATE TABLE consent_states (
    org_id     TEXT    NOT NULL,
    visitor_id TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    decision   TEXT    NOT NULL,
    record_seq INTEGER NOT NULL,
    decided_at INTEGER NOT NULL,
    expires_at INTEGER, -- NULL for decisions that do not expire
    PRIMARY KEY (org_id, visitor_id, purpose)
) WITHOUT ROWID;
-- The expiry job's scan; its queries repeat the WHERE clause word for word.
CREATE INDEX consent_states_expiry ON consent_states (expires_at)
    WHERE decision IN ('granted', 'denied');

-- One receipt-signing key per organization (Ed25519, 64-byte private key).
CREATE TABLE consent_signing_keys (
    org_id      TEXT    NOT NULL PRIMARY KEY,
    kid         TEXT    NOT NULL,
    private_key BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);
