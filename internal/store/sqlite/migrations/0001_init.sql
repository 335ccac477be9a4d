-- Presage schema version 1. Times are Unix milliseconds (UTC).

CREATE TABLE organizations (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    site_key        TEXT    NOT NULL UNIQUE,
    allowed_origins TEXT    NOT NULL DEFAULT '[]', -- JSON array
    identity_secret BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    org_id       TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL DEFAULT '[]', -- JSON array
    secret_hash  BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at, id);

CREATE TABLE visitors (
    org_id        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    customer_id   TEXT,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    session_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
) WITHOUT ROWID;
CREATE INDEX visitors_customer ON visitors (org_id, customer_id);
CREATE INDEX visitors_first_seen ON visitors (org_id, first_seen_at, id);

CREATE TABLE sessions (
    org_id         TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    visitor_id     TEXT    NOT NULL,
    started_at     INTEGER NOT NULL,
    last_event_at  INTEGER NOT NULL,
    event_count    INTEGER NOT NULL DEFAULT 0,
    landing_url    TEXT    NOT NULL DEFAULT '',
    referrer       TEXT    NOT NULL DEFAULT '',
    device         TEXT    NOT NULL DEFAULT '',
    browser        TEXT    NOT NULL DEFAULT '',
    os             TEXT    NOT NULL DEFAULT '',
    referrer_class TEXT    NOT NULL DEFAULT '',
    utm            TEXT    NOT NULL DEFAULT '{}', -- JSON object
    ip_prefix      TEXT    NOT NULL DEFAULT '',
    time_zone      TEXT    NOT NULL DEFAULT '',
    language       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id)
);
CREATE INDEX sessions_visitor ON sessions (org_id, visitor_id, started_at);
CREATE INDEX sessions_started ON sessions (org_id, started_at, id);

CREATE TABLE events (
    seq         INTEGER NOT NULL PRIMARY KEY,
    org_id      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    session_id  TEXT    NOT NULL,
    visitor_id  TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    url         TEXT    NOT NULL DEFAULT '',
    title       TEXT    NOT NULL DEFAULT '',
    referrer    TEXT    NOT NULL DEFAULT '',
    attributes  TEXT    NOT NULL DEFAULT '', -- JSON object, '' when absent
    context     TEXT    NOT NULL DEFAULT '{}', -- JSON enrichment
    UNIQUE (org_id, id)
);
CREATE INDEX events_session ON events (org_id, session_id, occurred_at, seq);

CREATE TABLE customers (
    org_id     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    traits     TEXT    NOT NULL DEFAULT '{}', -- JSON object: personal data, never indexed
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX customers_created ON customers (org_id, created_at, id);

CREATE TABLE customer_identifiers (
    org_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    hash        TEXT NOT NULL, -- keyed hash, never the value
    customer_id TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, hash)
) WITHOUT ROWID;
CREATE INDEX customer_identifiers_customer ON customer_identifiers (org_id, customer_id);
