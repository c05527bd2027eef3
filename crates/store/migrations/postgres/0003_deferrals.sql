-- The deferred-donor register (21 CFR 606.160(e)): entries are never changed; a
-- reentry of an indefinitely deferred donor is a record of its own.

CREATE TABLE donor_deferrals (
    id UUID PRIMARY KEY,
    donor_id UUID NOT NULL REFERENCES donors(id),
    kind TEXT NOT NULL CHECK (kind IN ('temporary', 'indefinite', 'permanent')),
    reason_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    starts_on DATE NOT NULL,
    until DATE,
    entered_at TIMESTAMPTZ NOT NULL,
    entered_by TEXT NOT NULL,
    CHECK ((kind = 'temporary') = (until IS NOT NULL))
);
CREATE INDEX donor_deferrals_donor ON donor_deferrals(donor_id);

CREATE TABLE donor_reentries (
    deferral_id UUID PRIMARY KEY REFERENCES donor_deferrals(id),
    reentered_at TIMESTAMPTZ NOT NULL,
    reentered_by TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TRIGGER donor_deferrals_append_only BEFORE UPDATE OR DELETE ON donor_deferrals
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
CREATE TRIGGER donor_reentries_append_only BEFORE UPDATE OR DELETE ON donor_reentries
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
