-- Presage schema version 3: outcomes and predictions. Times are Unix
-- milliseconds (UTC).

CREATE TABLE outcomes (
    org_id      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    direction   TEXT    NOT NULL,
    condition   TEXT    NOT NULL, -- JSON presage.Condition
    value_field TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

-- The first achieving event of each (session, outcome).
CREATE TABLE achievements (
    org_id      TEXT    NOT NULL,
    outcome_id  TEXT    NOT NULL,
    session_id  TEXT    NOT NULL,
    visitor_id  TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    achieved_at INTEGER NOT NULL,
    value       REAL,
    PRIMARY KEY (org_id, outcome_id, session_id)
) WITHOUT ROWID;
CREATE INDEX achievements_session ON achievements (org_id, session_id);
CREATE INDEX achievements_visitor ON achievements (org_id, visitor_id, achieved_at);
-- ListAchievements: newest first, (achieved_at, session_id, outcome_id) descending.
CREATE INDEX achievements_achieved ON achievements (org_id, achieved_at, session_id, outcome_id);

-- The live probability of each (session, outcome).
CREATE TABLE predictions (
    org_id          TEXT    NOT NULL,
    session_id      TEXT    NOT NULL,
    outcome_id      TEXT    NOT NULL,
    visitor_id      TEXT    NOT NULL,
    probability     REAL    NOT NULL,
    max_probability REAL    NOT NULL,
    percentile      REAL    NOT NULL,
    model_version   INTEGER NOT NULL,
    events          INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    history         TEXT    NOT NULL DEFAULT '[]', -- JSON array of presage.ProbabilityPoint
    PRIMARY KEY (org_id, session_id, outcome_id)
) WITHOUT ROWID;
CREATE INDEX predictions_visitor ON predictions (org_id, visitor_id);

-- One checkpoint per (organization, outcome): the model, its quality monitor
-- and the trainer's position in the ended sessions. version increases with
-- every checkpoint; a write names the version it replaces (fencing).
CREATE TABLE models (
    org_id     TEXT    NOT NULL,
    outcome_id TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    model      BLOB    NOT NULL,
    monitor    BLOB    NOT NULL,
    reference  BLOB    NOT NULL, -- recent scores, for percentiles
    cursor_at  INTEGER NOT NULL,
    cursor_id  TEXT    NOT NULL,
    examples   INTEGER NOT NULL,
    sessions   INTEGER NOT NULL,
    positives  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, outcome_id)
) WITHOUT ROWID;

-- Leases elect one trainer per organization among many nodes.
CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_last_event ON sessions (org_id, last_event_at, id);
CREATE INDEX events_visitor ON events (org_id, visitor_id);
