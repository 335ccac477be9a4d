-- Presage schema version 6: data subject rights. Times are Unix milliseconds
-- (UTC); JSON is stored as text.

-- Data subject requests and their job state. Terms and replacements are
-- personal data until an erasure scrubs them (scrubbed = 1).
CREATE TABLE gdpr_requests (
    org_id           TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    terms            TEXT    NOT NULL DEFAULT '[]', -- JSON array of privacy.Term
    replacements     TEXT    NOT NULL DEFAULT '[]', -- JSON array of privacy.Replacement
    requested_by     TEXT    NOT NULL DEFAULT '',
    received_at      INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    extension_reason TEXT    NOT NULL DEFAULT '',
    progress         TEXT    NOT NULL DEFAULT '{}', -- JSON privacy.Progress
    result           TEXT,                          -- JSON privacy.Result, NULL until done
    error            TEXT    NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_run_at      INTEGER NOT NULL,
    lease_holder     TEXT    NOT NULL DEFAULT '',
    lease_until      INTEGER,                       -- NULL when never leased
    updated_at       INTEGER NOT NULL,
    completed_at     INTEGER,                       -- NULL until done
    scrubbed         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
);
-- ClaimRequest's scan; its query repeats the WHERE clause word for word.
CREATE INDEX gdpr_requests_queue ON gdpr_requests (next_run_at, received_at)
    WHERE status NOT IN ('completed', 'error');
-- ListRequests: newest received first.
CREATE INDEX gdpr_requests_received ON gdpr_requests (org_id, received_at, id);

-- Export bundles, sealed with a data key of their own, deleted on expiry.
CREATE TABLE gdpr_exports (
    org_id     TEXT    NOT NULL,
    request_id TEXT    NOT NULL,
    content    TEXT    NOT NULL, -- sealed JSON bundle
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, request_id)
);
CREATE INDEX gdpr_exports_expiry ON gdpr_exports (expires_at);

-- The audit log: seq 1, 2, 3… per organization, assigned in the insert
-- transaction. It never holds a personal value, so nothing ever rewrites it:
-- the triggers below refuse every UPDATE and DELETE.
CREATE TABLE audit_log (
    org_id TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT    NOT NULL DEFAULT '',
    detail TEXT    NOT NULL DEFAULT '{}', -- JSON object
    PRIMARY KEY (org_id, seq)
) WITHOUT ROWID;
CREATE INDEX audit_log_target ON audit_log (org_id, target, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: update refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: delete refused');
END;

-- Identifiers of erased subjects, as keyed hashes: the collector drops events
-- that carry one.
CREATE TABLE erasure_tombstones (
    org_id     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind, hash)
) WITHOUT ROWID;

-- Retention per organization, in days (0: forever). An organization without
-- a row has privacy.DefaultRetention.
CREATE TABLE privacy_settings (
    org_id         TEXT    NOT NULL PRIMARY KEY,
    sessions_days  INTEGER NOT NULL,
    visitors_days  INTEGER NOT NULL,
    customers_days INTEGER NOT NULL,
    exports_days   INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Blind indexes of the values a customer was ever identified by (name,
-- address, every email…): subject searches find customers by them. Several
-- customers may share one value, so the customer id is part of the key.
CREATE TABLE customer_lookups (
    org_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    hash        TEXT NOT NULL, -- keyed hash, never the value
    customer_id TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, hash, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_lookups_customer ON customer_lookups (org_id, customer_id);
