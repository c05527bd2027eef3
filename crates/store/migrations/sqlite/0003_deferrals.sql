-- The deferred-donor register (21 CFR 606.160(e)): entries are never changed; a
-- reentry of an indefinitely deferred donor is a record of its own.

CREATE TABLE donor_deferrals (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    kind TEXT NOT NULL CHECK (kind IN ('temporary', 'indefinite', 'permanent')),
    reason_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    until TEXT,
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    CHECK ((kind = 'temporary') = (until IS NOT NULL))
);
CREATE INDEX donor_deferrals_donor ON donor_deferrals(donor_id);

CREATE TABLE donor_reentries (
    deferral_id BLOB PRIMARY KEY REFERENCES donor_deferrals(id),
    reentered_at TEXT NOT NULL,
    reentered_by TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TRIGGER donor_deferrals_no_update BEFORE UPDATE ON donor_deferrals
BEGIN SELECT RAISE(ABORT, 'deferrals are append-only'); END;
CREATE TRIGGER donor_deferrals_no_delete BEFORE DELETE ON donor_deferrals
BEGIN SELECT RAISE(ABORT, 'deferrals are append-only'); END;
CREATE TRIGGER donor_reentries_no_update BEFORE UPDATE ON donor_reentries
BEGIN SELECT RAISE(ABORT, 'reentries are append-only'); END;
CREATE TRIGGER donor_reentries_no_delete BEFORE DELETE ON donor_reentries
BEGIN SELECT RAISE(ABORT, 'reentries are append-only'); END;
