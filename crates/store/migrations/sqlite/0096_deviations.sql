-- Biological product deviations (21 CFR 606.171): the number given at opening (gap-free
-- per year, from a counter advanced in the opening transaction), every version of the
-- record (a change is a new version with who, when and what changed), and the units
-- involved. Everything but the counter is append-only.
CREATE TABLE deviation_numbers (
    year INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

CREATE TABLE deviations (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE TRIGGER deviations_no_update BEFORE UPDATE ON deviations
BEGIN SELECT RAISE(ABORT, 'deviations are append-only'); END;
CREATE TRIGGER deviations_no_delete BEFORE DELETE ON deviations
BEGIN SELECT RAISE(ABORT, 'deviations are append-only'); END;

CREATE TABLE deviation_versions (
    deviation_id BLOB NOT NULL REFERENCES deviations(id),
    version INTEGER NOT NULL,
    -- open, investigating, closed
    status TEXT NOT NULL,
    what_happened TEXT NOT NULL,
    discovered_on TEXT NOT NULL,
    -- when information reasonably suggesting a reportable event was acquired
    acquired_on TEXT NOT NULL,
    investigation TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    corrective_action TEXT NOT NULL,
    distributed INTEGER NOT NULL,
    reportable INTEGER NOT NULL,
    -- Form FDA 3486 submitted on, and its reference
    reported_on TEXT,
    report_reference TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    -- what this version changed, in words
    change TEXT NOT NULL,
    PRIMARY KEY (deviation_id, version)
);
CREATE TRIGGER deviation_versions_no_update BEFORE UPDATE ON deviation_versions
BEGIN SELECT RAISE(ABORT, 'deviation versions are append-only'); END;
CREATE TRIGGER deviation_versions_no_delete BEFORE DELETE ON deviation_versions
BEGIN SELECT RAISE(ABORT, 'deviation versions are append-only'); END;

CREATE TABLE deviation_units (
    deviation_id BLOB NOT NULL REFERENCES deviations(id),
    component_id BLOB NOT NULL REFERENCES components(id),
    PRIMARY KEY (deviation_id, component_id)
);
CREATE INDEX deviation_units_component ON deviation_units(component_id);
CREATE TRIGGER deviation_units_no_update BEFORE UPDATE ON deviation_units
BEGIN SELECT RAISE(ABORT, 'deviation units are append-only'); END;
CREATE TRIGGER deviation_units_no_delete BEFORE DELETE ON deviation_units
BEGIN SELECT RAISE(ABORT, 'deviation units are append-only'); END;
