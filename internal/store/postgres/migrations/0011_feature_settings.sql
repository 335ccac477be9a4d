-- An organization's choice of prediction features (docs/prediction.md): one
-- row per version, the latest in force. A model remembers the version it was
-- trained with; a new version makes the trainer start every model of the
-- organization again from stored history. Attribute names and URL patterns
-- only: no personal data.
CREATE TABLE feature_settings (
    org_id     text        NOT NULL,
    version    bigint      NOT NULL,
    settings   text        NOT NULL, -- JSON of predict.FeatureSettings
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, version)
);

ALTER TABLE models ADD COLUMN feature_version bigint NOT NULL DEFAULT 0;
