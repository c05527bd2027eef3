-- Donation testing: the tests each donation needs (from the testing rules in force at
-- collection), their results in entry order, and the outcome once a test is final.
-- Everything is append-only: a result is never changed, a later result follows it.
CREATE TABLE test_orders (
    id UUID PRIMARY KEY,
    donation_id UUID NOT NULL REFERENCES donations(id),
    test_code TEXT NOT NULL,
    title TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    why TEXT NOT NULL,
    ordered_at TIMESTAMPTZ NOT NULL,
    ordered_by TEXT NOT NULL,
    UNIQUE (donation_id, test_code)
);
SELECT hemaflow_protect_append_only('test_orders');

CREATE TABLE test_results (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES test_orders(id),
    seq BIGINT NOT NULL,
    -- initial, repeat, confirmatory
    phase TEXT NOT NULL,
    -- as read: reactive / nonreactive, a group (O+), positive / negative / indeterminate
    value TEXT NOT NULL,
    -- where the test stands after this result
    status_after TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    entered_by TEXT NOT NULL,
    -- manual, or the instrument file it came from
    source TEXT NOT NULL,
    -- an imported row: the file's SHA-256 and the row number; a file imported twice adds nothing
    import_key TEXT UNIQUE,
    UNIQUE (order_id, seq)
);
SELECT hemaflow_protect_append_only('test_results');

-- Holds on a unit (reactive test, lookback, deviation, recall, temperature, quarantine);
-- a hold is lifted by a row of its own.
CREATE TABLE component_holds (
    id UUID PRIMARY KEY,
    component_id UUID NOT NULL REFERENCES components(id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- what opened it: a lookback case, a donation's test, ...
    source_id UUID,
    opened_at TIMESTAMPTZ NOT NULL,
    opened_by TEXT NOT NULL
);
CREATE INDEX component_holds_component ON component_holds(component_id);
SELECT hemaflow_protect_append_only('component_holds');
CREATE TABLE component_hold_lifts (
    hold_id UUID PRIMARY KEY REFERENCES component_holds(id),
    lifted_at TIMESTAMPTZ NOT NULL,
    lifted_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('component_hold_lifts');

-- Donors to notify of a result that defers them (21 CFR 630.40).
CREATE TABLE donor_notifications (
    id UUID PRIMARY KEY,
    donor_id UUID NOT NULL REFERENCES donors(id),
    donation_id UUID REFERENCES donations(id),
    reason TEXT NOT NULL,
    due_on DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('donor_notifications');

-- Lookback (21 CFR 610.46, 610.47): the case a reactive result opens and the earlier
-- donations it looks at.
CREATE TABLE lookback_cases (
    id UUID PRIMARY KEY,
    donor_id UUID NOT NULL REFERENCES donors(id),
    donation_id UUID NOT NULL REFERENCES donations(id),
    test_code TEXT NOT NULL,
    window_from DATE NOT NULL,
    review_due_on DATE NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    opened_by TEXT NOT NULL,
    UNIQUE (donation_id, test_code)
);
SELECT hemaflow_protect_append_only('lookback_cases');
CREATE TABLE lookback_donations (
    case_id UUID NOT NULL REFERENCES lookback_cases(id),
    donation_id UUID NOT NULL REFERENCES donations(id),
    PRIMARY KEY (case_id, donation_id)
);
SELECT hemaflow_protect_append_only('lookback_donations');

-- Releases with their electronic signatures (21 CFR Part 11: signer, time, meaning).
CREATE TABLE component_releases (
    id UUID PRIMARY KEY,
    component_id UUID NOT NULL REFERENCES components(id),
    released_at TIMESTAMPTZ NOT NULL,
    signer TEXT NOT NULL,
    meaning TEXT NOT NULL,
    emergency BOOLEAN NOT NULL,
    physician TEXT,
    physician_meaning TEXT,
    scanned TEXT NOT NULL
);
CREATE INDEX component_releases_component ON component_releases(component_id);
SELECT hemaflow_protect_append_only('component_releases');
