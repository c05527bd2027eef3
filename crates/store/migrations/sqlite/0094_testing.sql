-- Donation testing: the tests each donation needs (from the testing rules in force at
-- collection), their results in entry order, and the outcome once a test is final.
-- Everything is append-only: a result is never changed, a later result follows it.
CREATE TABLE test_orders (
    id BLOB PRIMARY KEY,
    donation_id BLOB NOT NULL REFERENCES donations(id),
    test_code TEXT NOT NULL,
    title TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    why TEXT NOT NULL,
    ordered_at TEXT NOT NULL,
    ordered_by TEXT NOT NULL,
    UNIQUE (donation_id, test_code)
);
CREATE TRIGGER test_orders_no_update BEFORE UPDATE ON test_orders
BEGIN SELECT RAISE(ABORT, 'test orders are append-only'); END;
CREATE TRIGGER test_orders_no_delete BEFORE DELETE ON test_orders
BEGIN SELECT RAISE(ABORT, 'test orders are append-only'); END;

CREATE TABLE test_results (
    id BLOB PRIMARY KEY,
    order_id BLOB NOT NULL REFERENCES test_orders(id),
    seq INTEGER NOT NULL,
    -- initial, repeat, confirmatory
    phase TEXT NOT NULL,
    -- as read: reactive / nonreactive, a group (O+), positive / negative / indeterminate
    value TEXT NOT NULL,
    -- where the test stands after this result
    status_after TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    -- manual, or the instrument file it came from
    source TEXT NOT NULL,
    -- an imported row: the file's SHA-256 and the row number; a file imported twice adds nothing
    import_key TEXT UNIQUE,
    UNIQUE (order_id, seq)
);
CREATE TRIGGER test_results_no_update BEFORE UPDATE ON test_results
BEGIN SELECT RAISE(ABORT, 'test results are append-only'); END;
CREATE TRIGGER test_results_no_delete BEFORE DELETE ON test_results
BEGIN SELECT RAISE(ABORT, 'test results are append-only'); END;

-- Holds on a unit (reactive test, lookback, deviation, recall, temperature, quarantine);
-- a hold is lifted by a row of its own.
CREATE TABLE component_holds (
    id BLOB PRIMARY KEY,
    component_id BLOB NOT NULL REFERENCES components(id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- what opened it: a lookback case, a donation's test, ...
    source_id BLOB,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL
);
CREATE INDEX component_holds_component ON component_holds(component_id);
CREATE TRIGGER component_holds_no_update BEFORE UPDATE ON component_holds
BEGIN SELECT RAISE(ABORT, 'holds are append-only'); END;
CREATE TRIGGER component_holds_no_delete BEFORE DELETE ON component_holds
BEGIN SELECT RAISE(ABORT, 'holds are append-only'); END;
CREATE TABLE component_hold_lifts (
    hold_id BLOB PRIMARY KEY REFERENCES component_holds(id),
    lifted_at TEXT NOT NULL,
    lifted_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TRIGGER component_hold_lifts_no_update BEFORE UPDATE ON component_hold_lifts
BEGIN SELECT RAISE(ABORT, 'holds are append-only'); END;
CREATE TRIGGER component_hold_lifts_no_delete BEFORE DELETE ON component_hold_lifts
BEGIN SELECT RAISE(ABORT, 'holds are append-only'); END;

-- Donors to notify of a result that defers them (21 CFR 630.40).
CREATE TABLE donor_notifications (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    donation_id BLOB REFERENCES donations(id),
    reason TEXT NOT NULL,
    due_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TRIGGER donor_notifications_no_update BEFORE UPDATE ON donor_notifications
BEGIN SELECT RAISE(ABORT, 'notifications are append-only'); END;
CREATE TRIGGER donor_notifications_no_delete BEFORE DELETE ON donor_notifications
BEGIN SELECT RAISE(ABORT, 'notifications are append-only'); END;

-- Lookback (21 CFR 610.46, 610.47): the case a reactive result opens and the earlier
-- donations it looks at.
CREATE TABLE lookback_cases (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    donation_id BLOB NOT NULL REFERENCES donations(id),
    test_code TEXT NOT NULL,
    window_from TEXT NOT NULL,
    review_due_on TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    UNIQUE (donation_id, test_code)
);
CREATE TRIGGER lookback_cases_no_update BEFORE UPDATE ON lookback_cases
BEGIN SELECT RAISE(ABORT, 'lookback cases are append-only'); END;
CREATE TRIGGER lookback_cases_no_delete BEFORE DELETE ON lookback_cases
BEGIN SELECT RAISE(ABORT, 'lookback cases are append-only'); END;
CREATE TABLE lookback_donations (
    case_id BLOB NOT NULL REFERENCES lookback_cases(id),
    donation_id BLOB NOT NULL REFERENCES donations(id),
    PRIMARY KEY (case_id, donation_id)
);
CREATE TRIGGER lookback_donations_no_update BEFORE UPDATE ON lookback_donations
BEGIN SELECT RAISE(ABORT, 'lookback cases are append-only'); END;
CREATE TRIGGER lookback_donations_no_delete BEFORE DELETE ON lookback_donations
BEGIN SELECT RAISE(ABORT, 'lookback cases are append-only'); END;

-- Releases with their electronic signatures (21 CFR Part 11: signer, time, meaning).
CREATE TABLE component_releases (
    id BLOB PRIMARY KEY,
    component_id BLOB NOT NULL REFERENCES components(id),
    released_at TEXT NOT NULL,
    signer TEXT NOT NULL,
    meaning TEXT NOT NULL,
    emergency INTEGER NOT NULL,
    physician TEXT,
    physician_meaning TEXT,
    scanned TEXT NOT NULL
);
CREATE INDEX component_releases_component ON component_releases(component_id);
CREATE TRIGGER component_releases_no_update BEFORE UPDATE ON component_releases
BEGIN SELECT RAISE(ABORT, 'releases are append-only'); END;
CREATE TRIGGER component_releases_no_delete BEFORE DELETE ON component_releases
BEGIN SELECT RAISE(ABORT, 'releases are append-only'); END;
