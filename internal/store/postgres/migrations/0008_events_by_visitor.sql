-- A data subject's events are read and deleted in seq order, a page at a
-- time (export, rectification, erasure): the visitor index carries seq so
-- each page is a range scan instead of a sort of all the visitor's events.
DROP INDEX events_visitor;
CREATE INDEX events_visitor ON events (org_id, visitor_id, seq);
