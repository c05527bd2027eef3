-- Product recalls and market withdrawals opened by quality, naming the units concerned.
CREATE TABLE recall_cases (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    -- recall, withdrawal
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL
);
CREATE TRIGGER recall_cases_no_update BEFORE UPDATE ON recall_cases
BEGIN SELECT RAISE(ABORT, 'recall cases are append-only'); END;
CREATE TRIGGER recall_cases_no_delete BEFORE DELETE ON recall_cases
BEGIN SELECT RAISE(ABORT, 'recall cases are append-only'); END;
CREATE TABLE recall_units (
    case_id BLOB NOT NULL REFERENCES recall_cases(id),
    component_id BLOB NOT NULL REFERENCES components(id),
    PRIMARY KEY (case_id, component_id)
);
CREATE TRIGGER recall_units_no_update BEFORE UPDATE ON recall_units
BEGIN SELECT RAISE(ABORT, 'recall cases are append-only'); END;
CREATE TRIGGER recall_units_no_delete BEFORE DELETE ON recall_units
BEGIN SELECT RAISE(ABORT, 'recall cases are append-only'); END;

-- The supplemental (confirmatory) result of a lookback case, recorded once
-- (21 CFR 610.46(a)(3), 610.47(a)(3)).
CREATE TABLE lookback_results (
    case_id BLOB PRIMARY KEY REFERENCES lookback_cases(id),
    -- positive, negative, indeterminate
    result TEXT NOT NULL,
    tested_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TRIGGER lookback_results_no_update BEFORE UPDATE ON lookback_results
BEGIN SELECT RAISE(ABORT, 'lookback results are append-only'); END;
CREATE TRIGGER lookback_results_no_delete BEFORE DELETE ON lookback_results
BEGIN SELECT RAISE(ABORT, 'lookback results are append-only'); END;

-- A notice to one consignee of a lookback or recall case: the first notice (quarantine)
-- and the supplemental result, each once per case and hospital.
CREATE TABLE consignee_notifications (
    id BLOB PRIMARY KEY,
    -- a lookback_cases or recall_cases id
    case_id BLOB NOT NULL,
    -- lookback, recall
    case_kind TEXT NOT NULL,
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    -- notice, supplemental
    kind TEXT NOT NULL,
    -- the regulatory deadline this notice answers (none for a recall)
    due_on TEXT,
    email_to TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    UNIQUE (case_id, hospital_id, kind)
);
CREATE INDEX consignee_notifications_hospital ON consignee_notifications(hospital_id, sent_at);
CREATE TRIGGER consignee_notifications_no_update BEFORE UPDATE ON consignee_notifications
BEGIN SELECT RAISE(ABORT, 'consignee notifications are append-only'); END;
CREATE TRIGGER consignee_notifications_no_delete BEFORE DELETE ON consignee_notifications
BEGIN SELECT RAISE(ABORT, 'consignee notifications are append-only'); END;
CREATE TABLE consignee_notification_units (
    notification_id BLOB NOT NULL REFERENCES consignee_notifications(id),
    component_id BLOB NOT NULL REFERENCES components(id),
    shipment_number TEXT NOT NULL,
    PRIMARY KEY (notification_id, component_id)
);
CREATE TRIGGER consignee_notification_units_no_update BEFORE UPDATE ON consignee_notification_units
BEGIN SELECT RAISE(ABORT, 'consignee notifications are append-only'); END;
CREATE TRIGGER consignee_notification_units_no_delete BEFORE DELETE ON consignee_notification_units
BEGIN SELECT RAISE(ABORT, 'consignee notifications are append-only'); END;

-- The hospital's answer: what it did with each unit named.
CREATE TABLE consignee_acknowledgements (
    notification_id BLOB PRIMARY KEY REFERENCES consignee_notifications(id),
    note TEXT NOT NULL,
    acknowledged_at TEXT NOT NULL,
    acknowledged_by TEXT NOT NULL
);
CREATE TRIGGER consignee_acknowledgements_no_update BEFORE UPDATE ON consignee_acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER consignee_acknowledgements_no_delete BEFORE DELETE ON consignee_acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TABLE consignee_acknowledgement_units (
    notification_id BLOB NOT NULL REFERENCES consignee_acknowledgements(notification_id),
    component_id BLOB NOT NULL REFERENCES components(id),
    -- quarantined, transfused, destroyed, returned
    action TEXT NOT NULL,
    PRIMARY KEY (notification_id, component_id)
);
CREATE TRIGGER consignee_acknowledgement_units_no_update BEFORE UPDATE ON consignee_acknowledgement_units
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER consignee_acknowledgement_units_no_delete BEFORE DELETE ON consignee_acknowledgement_units
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
