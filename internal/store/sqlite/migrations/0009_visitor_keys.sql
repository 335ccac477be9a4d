-- Which data keys seal which visitor's values. The collector seals a new
-- visitor's first values with a key from its pool, which the key store
-- knows only by its own id; this row, committed with those values, is how
-- an erasure finds the key to destroy. It holds ids only, never key
-- material (that lives in the key store, apart from this database).
CREATE TABLE visitor_keys (
    org_id     TEXT    NOT NULL,
    visitor_id TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    created_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (org_id, visitor_id, key_id)
) WITHOUT ROWID;
