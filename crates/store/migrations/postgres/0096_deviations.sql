-- Biological product deviations (21 CFR 606.171): the number given at opening (gap-free
-- per year, from a counter advanced in the opening transaction), every version of the
-- record (a change is a new version with who, when and what changed), and the units
-- involved. Everything but the counter is append-only.
CREATE TABLE deviation_numbers (
    year BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

CREATE TABLE deviations (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    opened_by TEXT NOT NULL,
    UNIQUE (year, seq)
);
SELECT hemaflow_protect_append_only('deviations');

CREATE TABLE deviation_versions (
    deviation_id UUID NOT NULL REFERENCES deviations(id),
    version BIGINT NOT NULL,
    -- open, investigating, closed
    status TEXT NOT NULL,
    what_happened TEXT NOT NULL,
    discovered_on DATE NOT NULL,
    -- when information reasonably suggesting a reportable event was acquired
    acquired_on DATE NOT NULL,
    investigation TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    corrective_action TEXT NOT NULL,
    distributed BOOLEAN NOT NULL,
    reportable BOOLEAN NOT NULL,
    -- Form FDA 3486 submitted on, and its reference
    reported_on DATE,
    report_reference TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    -- what this version changed, in words
    change TEXT NOT NULL,
    PRIMARY KEY (deviation_id, version)
);
SELECT hemaflow_protect_append_only('deviation_versions');

CREATE TABLE deviation_units (
    deviation_id UUID NOT NULL REFERENCES deviations(id),
    component_id UUID NOT NULL REFERENCES components(id),
    PRIMARY KEY (deviation_id, component_id)
);
CREATE INDEX deviation_units_component ON deviation_units(component_id);
SELECT hemaflow_protect_append_only('deviation_units');
