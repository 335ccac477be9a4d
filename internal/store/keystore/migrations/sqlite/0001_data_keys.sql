-- Presage key store, version 1. Times are Unix milliseconds (UTC), as in the
-- journey database.

CREATE TABLE data_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    org_id     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    master_id  TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, subject)
);
