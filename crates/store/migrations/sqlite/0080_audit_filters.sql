-- The audit filter matches user names whatever their case, and lists the actions the
-- trail holds (walked along this index, one step per action).
CREATE INDEX audit_actor_lower ON audit_records(LOWER(actor));
CREATE INDEX audit_action ON audit_records(action);
