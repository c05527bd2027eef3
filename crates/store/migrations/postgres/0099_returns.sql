-- Units coming back from a consignee, their inspection, and the final disposition the
-- hospital reports (transfused, wasted, expired). All append-only.
CREATE TABLE unit_returns (
    id UUID PRIMARY KEY,
    component_id UUID NOT NULL REFERENCES components(id),
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    shipment_id UUID NOT NULL REFERENCES shipments(id),
    returned_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    -- the hospital's storage record shows the unit stayed in its range
    temperature_kept BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    -- awaiting_inspection or discarded
    outcome TEXT NOT NULL
);
CREATE INDEX unit_returns_component ON unit_returns(component_id, returned_at);
CREATE INDEX unit_returns_hospital ON unit_returns(hospital_id, returned_at);
SELECT hemaflow_protect_append_only('unit_returns');

CREATE TABLE return_inspections (
    return_id UUID PRIMARY KEY REFERENCES unit_returns(id),
    inspected_at TIMESTAMPTZ NOT NULL,
    inspected_by TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    note TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('return_inspections');

CREATE TABLE unit_dispositions (
    component_id UUID PRIMARY KEY REFERENCES components(id),
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    -- transfused, wasted, expired
    disposition TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    reported_by TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX unit_dispositions_hospital ON unit_dispositions(hospital_id, occurred_at);
SELECT hemaflow_protect_append_only('unit_dispositions');
