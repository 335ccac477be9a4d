-- Presage key store, version 1. Every name is qualified by the schema
-- presage_keys, so the key store can live beside the journey tables and still
-- be left out of their backups (pg_dump --exclude-schema=presage_keys).

CREATE TABLE presage_keys.data_keys (
    id         text        NOT NULL PRIMARY KEY,
    org_id     text        NOT NULL,
    subject    text        NOT NULL,
    master_id  text        NOT NULL,
    wrapped    bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (org_id, subject)
);
