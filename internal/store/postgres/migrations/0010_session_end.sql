-- The trainer learns every session once, in the order sessions end by the
-- server's clock (docs/prediction.md), not in the order of their events'
-- own times: a session stored late, its events days old, or stored out of
-- the order it ended, was skipped for good behind the trainer's cursor.
--
-- received_at: server time of the latest batch stored for the session.
-- ends_at: the session timeout after the latest batch received while the
-- session was open; a batch received after it does not move it.
ALTER TABLE sessions ADD COLUMN received_at timestamptz NOT NULL DEFAULT 'epoch';
ALTER TABLE sessions ADD COLUMN ends_at     timestamptz NOT NULL DEFAULT 'epoch';

-- Stored sessions: their latest event's receipt, and the default timeout
-- (30 min) after it.
UPDATE sessions SET received_at = COALESCE((SELECT MAX(e.received_at) FROM events e
    WHERE e.org_id = sessions.org_id AND e.session_id = sessions.id), last_event_at);
UPDATE sessions SET ends_at = received_at + interval '30 minutes';

CREATE INDEX sessions_ends ON sessions (org_id, ends_at, id);

-- A model's cursor was a position in (last_event_at, id) order; it moves to
-- the latest (ends_at, id) of the sessions at or before it, so no session
-- learned already is learned again (a model with none starts over).
-- Sessions of that older order stored behind their neighbours stay
-- skipped, as they were.
UPDATE models SET cursor_at = 'epoch', cursor_id = '' WHERE NOT EXISTS (SELECT 1 FROM sessions s
    WHERE s.org_id = models.org_id AND (s.last_event_at, s.id) <= (models.cursor_at, models.cursor_id));
UPDATE models SET (cursor_at, cursor_id) = (
    SELECT s.ends_at, s.id FROM sessions s
    WHERE s.org_id = models.org_id AND (s.last_event_at, s.id) <= (models.cursor_at, models.cursor_id)
    ORDER BY s.ends_at DESC, s.id DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM sessions s
    WHERE s.org_id = models.org_id AND (s.last_event_at, s.id) <= (models.cursor_at, models.cursor_id));
