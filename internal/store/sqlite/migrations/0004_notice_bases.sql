-- The lawful basis each notice text was written for (purpose -> basis), so
-- that a text written for consent is never shown once the purpose rests on
-- another basis. Notices stored before it have '{}': their texts were
-- written for consent, the only basis the default notice described.
ALTER TABLE consent_notices ADD COLUMN bases TEXT NOT NULL DEFAULT '{}';
