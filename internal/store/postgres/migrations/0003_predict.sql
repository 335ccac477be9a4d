-- Presage schema version 3: outcomes and predictions.

CREATE TABLE outcomes (
    org_id      text        NOT NULL,
    id          text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    direction   text        NOT NULL,
    condition   text        NOT NULL, -- JSON presage.Condition
    value_field text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

-- The first achieving event of each (session, outcome).
CREATE TABLE achievements (
    org_id      text             NOT NULL,
    outcome_id  text             NOT NULL,
    session_id  text             NOT NULL,
    visitor_id  text             NOT NULL,
    event_id    text             NOT NULL,
    achieved_at timestamptz      NOT NULL,
    value       double precision,
    PRIMARY KEY (org_id, outcome_id, session_id)
);
CREATE INDEX achievements_session ON achievements (org_id, session_id);
CREATE INDEX achievements_visitor ON achievements (org_id, visitor_id, achieved_at);
-- ListAchievements: newest first, (achieved_at, session_id, outcome_id) descending.
CREATE INDEX achievements_achieved ON achievements (org_id, achieved_at, session_id, outcome_id);

-- The live probability of each (session, outcome).
CREATE TABLE predictions (
    org_id          text             NOT NULL,
    session_id      text             NOT NULL,
    outcome_id      text             NOT NULL,
    visitor_id      text             NOT NULL,
    probability     double precision NOT NULL,
    max_probability double precision NOT NULL,
    percentile      double precision NOT NULL,
    model_version   bigint           NOT NULL,
    events          integer          NOT NULL,
    updated_at      timestamptz      NOT NULL,
    history         text             NOT NULL DEFAULT '[]', -- JSON array of presage.ProbabilityPoint
    PRIMARY KEY (org_id, session_id, outcome_id)
);
CREATE INDEX predictions_visitor ON predictions (org_id, visitor_id);

-- One checkpoint per (organization, outcome): the model, its quality monitor
-- and the trainer's position in the ended sessions. version increases with
-- every checkpoint; a write names the version it replaces (fencing).
CREATE TABLE models (
    org_id     text        NOT NULL,
    outcome_id text        NOT NULL,
    version    bigint      NOT NULL,
    model      bytea       NOT NULL,
    monitor    bytea       NOT NULL,
    reference  bytea       NOT NULL, -- recent scores, for percentiles
    cursor_at  timestamptz NOT NULL,
    cursor_id  text        NOT NULL,
    examples   bigint      NOT NULL,
    sessions   bigint      NOT NULL,
    positives  bigint      NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, outcome_id)
);

-- Leases elect one trainer per organization among many nodes.
CREATE TABLE leases (
    name       text        NOT NULL PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_last_event ON sessions (org_id, last_event_at, id);
CREATE INDEX events_visitor ON events (org_id, visitor_id);
