-- Presage schema version 2: consent. JSON columns are text, not jsonb: the
-- ledger's hashes cover the bytes as written, which jsonb would normalize.

CREATE TABLE consent_purposes (
    org_id      text        NOT NULL,
    name        text        NOT NULL,
    basis       text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, name)
);

CREATE TABLE consent_settings (
    org_id              text        NOT NULL PRIMARY KEY,
    gpc_objects         text        NOT NULL DEFAULT '[]', -- JSON array of purposes
    honour_dnt          boolean     NOT NULL DEFAULT false,
    ttl_ms              bigint      NOT NULL,
    erase_on_withdrawal boolean     NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL
);

-- Notices are immutable: the store has no update path.
CREATE TABLE consent_notices (
    org_id     text        NOT NULL,
    version    integer     NOT NULL,
    language   text        NOT NULL,
    title      text        NOT NULL DEFAULT '',
    texts      text        NOT NULL DEFAULT '{}', -- JSON object: purpose -> text
    sha256     text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, version)
);

-- The consent ledger: one hash chain per organization, seq 1, 2, 3… without
-- gaps. Appends serialize per organization on its consent_heads row
-- (SELECT … FOR UPDATE).
--
-- Append-only: the trigger below refuses UPDATE, DELETE and TRUNCATE unless
-- the transaction set presage.allow_ledger_rewrite to 'on':
--
--     BEGIN;
--     SELECT set_config('presage.allow_ledger_rewrite', 'on', true); -- SET LOCAL
--     UPDATE/DELETE consent_records …;
--     COMMIT;
--
-- That is the one controlled rewrite path (DB.ExecRaw): the tamper tests use
-- it, and GDPR erasure will use it to blank a subject's fields. Set it only
-- transaction-locally, never per session or database, or the guard is gone
-- for every later statement of a pooled connection.
CREATE TABLE consent_records (
    org_id         text        NOT NULL,
    seq            bigint      NOT NULL,
    id             text        NOT NULL UNIQUE,
    visitor_id     text        NOT NULL,
    customer_id    text        NOT NULL DEFAULT '',
    action         text        NOT NULL,
    decisions      text        NOT NULL DEFAULT '{}', -- JSON object: purpose -> decision
    notice_version integer     NOT NULL DEFAULT 0,
    notice_hash    text        NOT NULL DEFAULT '',
    method         text        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    ip_prefix      text        NOT NULL DEFAULT '',
    user_agent     text        NOT NULL DEFAULT '',
    artefact       text,                              -- JSON as given by a consent manager, NULL when absent
    prev_hash      text        NOT NULL DEFAULT '',
    hash           text        NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX consent_records_visitor ON consent_records (org_id, visitor_id, seq);
CREATE INDEX consent_records_customer ON consent_records (org_id, customer_id);

CREATE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('presage.allow_ledger_rewrite', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'consent_records is append-only: % refused', lower(TG_OP)
            USING HINT = 'a controlled rewrite sets presage.allow_ledger_rewrite to on for its transaction';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW; -- NULL for TRUNCATE, which ignores it
END
$$;

CREATE TRIGGER consent_records_append_only BEFORE UPDATE OR DELETE ON consent_records
    FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();
CREATE TRIGGER consent_records_no_truncate BEFORE TRUNCATE ON consent_records
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_append_only();

-- The last record of each chain: its row is the chain's lock.
CREATE TABLE consent_heads (
    org_id text   NOT NULL PRIMARY KEY,
    seq    bigint NOT NULL,
    hash   text   NOT NULL
);

-- The current decision per subject and purpose, derived from the ledger.
CREATE TABLE consent_states (
    org_id     text        NOT NULL,
    visitor_id text        NOT NULL,
    purpose    text        NOT NULL,
    decision   text        NOT NULL,
    record_seq bigint      NOT NULL,
    decided_at timestamptz NOT NULL,
    expires_at timestamptz, -- NULL for decisions that do not expire
    PRIMARY KEY (org_id, visitor_id, purpose)
);
-- The expiry job's scan; its queries repeat the WHERE clause word for word.
CREATE INDEX consent_states_expiry ON consent_states (expires_at)
    WHERE decision IN ('granted', 'denied');

-- One receipt-signing key per organization (Ed25519, 64-byte private key).
CREATE TABLE consent_signing_keys (
    org_id      text        NOT NULL PRIMARY KEY,
    kid         text        NOT NULL,
    private_key bytea       NOT NULL,
    created_at  timestamptz NOT NULL
);
