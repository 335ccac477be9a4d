-- Presage schema version 5: consent records commit to their subject. A
-- record's hash covers subject_commitment, the SHA-256 of its random salt and
-- identifying values (visitor, customer, IP prefix, user agent), instead of
-- the values themselves, so an erasure can blank them and the salt (NULL)
-- and the chain still verifies (docs/consent.md).
--
-- Records written before this version have subject_commitment '': the Go
-- step that runs after the migrations, under the migration lock
-- (sealConsentRecords), gives each a salt and a commitment and re-hashes its
-- chain, in one transaction per organization that holds the chain's lock.
-- The partial index finds the organizations left to convert; it is empty
-- once they all are, so the step is then one index probe. Adding columns
-- with a constant default rewrites no rows.
ALTER TABLE consent_records ADD COLUMN subject_salt text;
ALTER TABLE consent_records ADD COLUMN subject_commitment text NOT NULL DEFAULT '';
CREATE INDEX consent_records_unsealed ON consent_records (org_id) WHERE subject_commitment = '';
