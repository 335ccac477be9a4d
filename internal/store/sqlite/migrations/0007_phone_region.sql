-- Presage schema version 7: an organization's default phone region (ISO 3166,
-- '' for none), used when identify normalizes numbers without a country code.

ALTER TABLE organizations ADD COLUMN phone_region TEXT NOT NULL DEFAULT '';

-- The retention purge scans visitors by last visit and customers by last
-- update, oldest first.
CREATE INDEX visitors_last_seen ON visitors (org_id, last_seen_at, id);
CREATE INDEX customers_updated ON customers (org_id, updated_at, id);
