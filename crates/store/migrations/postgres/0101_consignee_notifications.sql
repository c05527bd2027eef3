-- Product recalls and market withdrawals opened by quality, naming the units concerned.
CREATE TABLE recall_cases (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    -- recall, withdrawal
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    opened_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('recall_cases');
CREATE TABLE recall_units (
    case_id UUID NOT NULL REFERENCES recall_cases(id),
    component_id UUID NOT NULL REFERENCES components(id),
    PRIMARY KEY (case_id, component_id)
);
SELECT hemaflow_protect_append_only('recall_units');

-- The supplemental (confirmatory) result of a lookback case, recorded once
-- (21 CFR 610.46(a)(3), 610.47(a)(3)).
CREATE TABLE lookback_results (
    case_id UUID PRIMARY KEY REFERENCES lookback_cases(id),
    -- positive, negative, indeterminate
    result TEXT NOT NULL,
    tested_on DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('lookback_results');

-- A notice to one consignee of a lookback or recall case: the first notice (quarantine)
-- and the supplemental result, each once per case and hospital.
CREATE TABLE consignee_notifications (
    id UUID PRIMARY KEY,
    -- a lookback_cases or recall_cases id
    case_id UUID NOT NULL,
    -- lookback, recall
    case_kind TEXT NOT NULL,
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    -- notice, supplemental
    kind TEXT NOT NULL,
    -- the regulatory deadline this notice answers (none for a recall)
    due_on DATE,
    email_to TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    sent_by TEXT NOT NULL,
    UNIQUE (case_id, hospital_id, kind)
);
CREATE INDEX consignee_notifications_hospital ON consignee_notifications(hospital_id, sent_at);
SELECT hemaflow_protect_append_only('consignee_notifications');
CREATE TABLE consignee_notification_units (
    notification_id UUID NOT NULL REFERENCES consignee_notifications(id),
    component_id UUID NOT NULL REFERENCES components(id),
    shipment_number TEXT NOT NULL,
    PRIMARY KEY (notification_id, component_id)
);
SELECT hemaflow_protect_append_only('consignee_notification_units');

-- The hospital's answer: what it did with each unit named.
CREATE TABLE consignee_acknowledgements (
    notification_id UUID PRIMARY KEY REFERENCES consignee_notifications(id),
    note TEXT NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    acknowledged_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('consignee_acknowledgements');
CREATE TABLE consignee_acknowledgement_units (
    notification_id UUID NOT NULL REFERENCES consignee_acknowledgements(notification_id),
    component_id UUID NOT NULL REFERENCES components(id),
    -- quarantined, transfused, destroyed, returned
    action TEXT NOT NULL,
    PRIMARY KEY (notification_id, component_id)
);
SELECT hemaflow_protect_append_only('consignee_acknowledgement_units');
