-- Counters of sign-in attempts and public link requests, per client address (and per
-- typed user name + address). They live here, not in a server's memory, so that every
-- server sharing this database counts the same attempts.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    hits BIGINT NOT NULL,
    locked_until TIMESTAMPTZ
);
CREATE INDEX rate_limits_window ON rate_limits(window_start);
