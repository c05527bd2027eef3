-- Units coming back from a consignee, their inspection, and the final disposition the
-- hospital reports (transfused, wasted, expired). All append-only.
CREATE TABLE unit_returns (
    id BLOB PRIMARY KEY,
    component_id BLOB NOT NULL REFERENCES components(id),
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    shipment_id BLOB NOT NULL REFERENCES shipments(id),
    returned_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    -- the hospital's storage record shows the unit stayed in its range
    temperature_kept INTEGER NOT NULL,
    note TEXT NOT NULL,
    -- awaiting_inspection or discarded
    outcome TEXT NOT NULL
);
CREATE INDEX unit_returns_component ON unit_returns(component_id, returned_at);
CREATE INDEX unit_returns_hospital ON unit_returns(hospital_id, returned_at);
CREATE TRIGGER unit_returns_no_update BEFORE UPDATE ON unit_returns
BEGIN SELECT RAISE(ABORT, 'returns are append-only'); END;
CREATE TRIGGER unit_returns_no_delete BEFORE DELETE ON unit_returns
BEGIN SELECT RAISE(ABORT, 'returns are append-only'); END;

CREATE TABLE return_inspections (
    return_id BLOB PRIMARY KEY REFERENCES unit_returns(id),
    inspected_at TEXT NOT NULL,
    inspected_by TEXT NOT NULL,
    passed INTEGER NOT NULL,
    note TEXT NOT NULL
);
CREATE TRIGGER return_inspections_no_update BEFORE UPDATE ON return_inspections
BEGIN SELECT RAISE(ABORT, 'inspections are append-only'); END;
CREATE TRIGGER return_inspections_no_delete BEFORE DELETE ON return_inspections
BEGIN SELECT RAISE(ABORT, 'inspections are append-only'); END;

CREATE TABLE unit_dispositions (
    component_id BLOB PRIMARY KEY REFERENCES components(id),
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    -- transfused, wasted, expired
    disposition TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX unit_dispositions_hospital ON unit_dispositions(hospital_id, occurred_at);
CREATE TRIGGER unit_dispositions_no_update BEFORE UPDATE ON unit_dispositions
BEGIN SELECT RAISE(ABORT, 'dispositions are append-only'); END;
CREATE TRIGGER unit_dispositions_no_delete BEFORE DELETE ON unit_dispositions
BEGIN SELECT RAISE(ABORT, 'dispositions are append-only'); END;
