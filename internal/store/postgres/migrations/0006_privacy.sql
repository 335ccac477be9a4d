-- Presage schema version 6: data subject rights. JSON is stored as text.

-- Data subject requests and their job state. Terms and replacements are
-- personal data until an erasure scrubs them (scrubbed = true).
CREATE TABLE gdpr_requests (
    org_id           text        NOT NULL,
    id               text        NOT NULL,
    type             text        NOT NULL,
    status           text        NOT NULL,
    terms            text        NOT NULL DEFAULT '[]', -- JSON array of privacy.Term
    replacements     text        NOT NULL DEFAULT '[]', -- JSON array of privacy.Replacement
    requested_by     text        NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    extension_reason text        NOT NULL DEFAULT '',
    progress         text        NOT NULL DEFAULT '{}', -- JSON privacy.Progress
    result           text,                              -- JSON privacy.Result, NULL until done
    error            text        NOT NULL DEFAULT '',
    attempts         integer     NOT NULL DEFAULT 0,
    next_run_at      timestamptz NOT NULL,
    lease_holder     text        NOT NULL DEFAULT '',
    lease_until      timestamptz,                       -- NULL when never leased
    updated_at       timestamptz NOT NULL,
    completed_at     timestamptz,                       -- NULL until done
    scrubbed         boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, id)
);
-- ClaimRequest's scan; its query repeats the WHERE clause word for word.
CREATE INDEX gdpr_requests_queue ON gdpr_requests (next_run_at, received_at)
    WHERE status NOT IN ('completed', 'error');
-- ListRequests: newest received first.
CREATE INDEX gdpr_requests_received ON gdpr_requests (org_id, received_at, id);

-- Export bundles, sealed with a data key of their own, deleted on expiry.
CREATE TABLE gdpr_exports (
    org_id     text        NOT NULL,
    request_id text        NOT NULL,
    content    text        NOT NULL, -- sealed JSON bundle
    size       bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, request_id)
);
CREATE INDEX gdpr_exports_expiry ON gdpr_exports (expires_at);

-- The audit log: seq 1, 2, 3… per organization, assigned in the insert
-- transaction (appends serialize per organization on a transaction-level
-- advisory lock). It never holds a personal value; append-only like
-- consent_records: the trigger below refuses UPDATE, DELETE and TRUNCATE
-- unless the transaction set presage.allow_audit_rewrite to 'on' (SET LOCAL
-- only, never per session: see consent_records in 0002_consent.sql).
CREATE TABLE audit_log (
    org_id text        NOT NULL,
    seq    bigint      NOT NULL,
    at     timestamptz NOT NULL,
    actor  text        NOT NULL,
    action text        NOT NULL,
    target text        NOT NULL DEFAULT '',
    detail text        NOT NULL DEFAULT '{}', -- JSON object
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX audit_log_target ON audit_log (org_id, target, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('presage.allow_audit_rewrite', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'audit_log is append-only: % refused', lower(TG_OP)
            USING HINT = 'a controlled rewrite sets presage.allow_audit_rewrite to on for its transaction';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW; -- NULL for TRUNCATE, which ignores it
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Identifiers of erased subjects, as keyed hashes: the collector drops events
-- that carry one.
CREATE TABLE erasure_tombstones (
    org_id     text        NOT NULL,
    kind       text        NOT NULL,
    hash       text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, kind, hash)
);

-- Retention per organization, in days (0: forever). An organization without
-- a row has privacy.DefaultRetention.
CREATE TABLE privacy_settings (
    org_id         text        NOT NULL PRIMARY KEY,
    sessions_days  integer     NOT NULL,
    visitors_days  integer     NOT NULL,
    customers_days integer     NOT NULL,
    exports_days   integer     NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- Blind indexes of the values a customer was ever identified by (name,
-- address, every email…): subject searches find customers by them. Several
-- customers may share one value, so the customer id is part of the key.
CREATE TABLE customer_lookups (
    org_id      text NOT NULL,
    kind        text NOT NULL,
    hash        text NOT NULL, -- keyed hash, never the value
    customer_id text NOT NULL,
    PRIMARY KEY (org_id, kind, hash, customer_id)
);
CREATE INDEX customer_lookups_customer ON customer_lookups (org_id, customer_id);
