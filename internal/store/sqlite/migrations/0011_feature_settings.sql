-- An organization's choice of prediction features (docs/prediction.md): one
-- row per version, the latest in force. A model remembers the version it was
-- trained with; a new version makes the trainer start every model of the
-- organization again from stored history. Attribute names and URL patterns
-- only: no personal data.
CREATE TABLE feature_settings (
    org_id     TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    settings   TEXT    NOT NULL, -- JSON of predict.FeatureSettings
    created_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (org_id, version)
) WITHOUT ROWID;

ALTER TABLE models ADD COLUMN feature_version INTEGER NOT NULL DEFAULT 0;
