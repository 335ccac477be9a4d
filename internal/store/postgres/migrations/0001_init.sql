-- Presage schema version 1.

CREATE TABLE organizations (
    id              text        NOT NULL PRIMARY KEY,
    name            text        NOT NULL UNIQUE,
    site_key        text        NOT NULL UNIQUE,
    allowed_origins text        NOT NULL DEFAULT '[]', -- JSON array
    identity_secret bytea       NOT NULL,
    created_at      timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id           text        NOT NULL PRIMARY KEY,
    org_id       text        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    scopes       text        NOT NULL DEFAULT '[]', -- JSON array
    secret_hash  bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at, id);

CREATE TABLE visitors (
    org_id        text        NOT NULL,
    id            text        NOT NULL,
    customer_id   text,
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    session_count integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX visitors_customer ON visitors (org_id, customer_id);
CREATE INDEX visitors_first_seen ON visitors (org_id, first_seen_at, id);

CREATE TABLE sessions (
    org_id         text        NOT NULL,
    id             text        NOT NULL,
    visitor_id     text        NOT NULL,
    started_at     timestamptz NOT NULL,
    last_event_at  timestamptz NOT NULL,
    event_count    integer     NOT NULL DEFAULT 0,
    landing_url    text        NOT NULL DEFAULT '',
    referrer       text        NOT NULL DEFAULT '',
    device         text        NOT NULL DEFAULT '',
    browser        text        NOT NULL DEFAULT '',
    os             text        NOT NULL DEFAULT '',
    referrer_class text        NOT NULL DEFAULT '',
    utm            text        NOT NULL DEFAULT '{}', -- JSON object
    ip_prefix      text        NOT NULL DEFAULT '',
    time_zone      text        NOT NULL DEFAULT '',
    language       text        NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id)
);
CREATE INDEX sessions_visitor ON sessions (org_id, visitor_id, started_at);
CREATE INDEX sessions_started ON sessions (org_id, started_at, id);

CREATE TABLE events (
    seq         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      text        NOT NULL,
    id          text        NOT NULL,
    session_id  text        NOT NULL,
    visitor_id  text        NOT NULL,
    type        text        NOT NULL,
    name        text        NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    url         text        NOT NULL DEFAULT '',
    title       text        NOT NULL DEFAULT '',
    referrer    text        NOT NULL DEFAULT '',
    attributes  text        NOT NULL DEFAULT '', -- JSON object, '' when absent
    context     text        NOT NULL DEFAULT '{}', -- JSON enrichment
    UNIQUE (org_id, id)
);
CREATE INDEX events_session ON events (org_id, session_id, occurred_at, seq);

CREATE TABLE customers (
    org_id     text        NOT NULL,
    id         text        NOT NULL,
    traits     text        NOT NULL DEFAULT '{}', -- JSON object: personal data, never indexed
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX customers_created ON customers (org_id, created_at, id);

CREATE TABLE customer_identifiers (
    org_id      text NOT NULL,
    kind        text NOT NULL,
    hash        text NOT NULL, -- keyed hash, never the value
    customer_id text NOT NULL,
    PRIMARY KEY (org_id, kind, hash)
);
CREATE INDEX customer_identifiers_customer ON customer_identifiers (org_id, customer_id);
