-- The donor registry: every change of a donor's details is a version of its own;
-- merges of duplicate records, blood group determinations with their resolutions,
-- and special attributes (antigens, CMV, HbS, IgA, HLA) are append-only histories.

CREATE TABLE donor_versions (
    donor_id BLOB NOT NULL REFERENCES donors(id),
    version INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (donor_id, version)
);

CREATE TABLE donor_merges (
    duplicate_id BLOB PRIMARY KEY REFERENCES donors(id),
    survivor_id BLOB NOT NULL REFERENCES donors(id),
    merged_at TEXT NOT NULL,
    merged_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    CHECK (duplicate_id <> survivor_id)
);
CREATE INDEX donor_merges_survivor ON donor_merges(survivor_id);

CREATE TABLE blood_group_determinations (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    abo TEXT NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd TEXT NOT NULL CHECK (rhd IN ('pos', 'neg')),
    determined_on TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('lab', 'donor_card', 'import')),
    din TEXT,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL
);
CREATE INDEX blood_group_determinations_donor ON blood_group_determinations(donor_id);

-- Quality's statement of the correct group after a discrepancy.
CREATE TABLE blood_group_resolutions (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    abo TEXT NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd TEXT NOT NULL CHECK (rhd IN ('pos', 'neg')),
    reason TEXT NOT NULL,
    resolved_by TEXT NOT NULL,
    resolved_at TEXT NOT NULL
);
CREATE INDEX blood_group_resolutions_donor ON blood_group_resolutions(donor_id);

-- attribute: 'cmv', 'hbs', 'iga', 'hla' or 'antigen:<name>'; the current value is the latest.
CREATE TABLE donor_attribute_results (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    determined_on TEXT NOT NULL,
    source TEXT NOT NULL,
    din TEXT,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL
);
CREATE INDEX donor_attribute_results_donor ON donor_attribute_results(donor_id, attribute);

-- The latest value per donor and attribute, kept with each result for searching.
CREATE TABLE donor_attributes_current (
    donor_id BLOB NOT NULL REFERENCES donors(id),
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (donor_id, attribute)
);
CREATE INDEX donor_attributes_current_value ON donor_attributes_current(attribute, value);

CREATE TRIGGER donor_versions_no_update BEFORE UPDATE ON donor_versions
BEGIN SELECT RAISE(ABORT, 'donor versions are append-only'); END;
CREATE TRIGGER donor_versions_no_delete BEFORE DELETE ON donor_versions
BEGIN SELECT RAISE(ABORT, 'donor versions are append-only'); END;
CREATE TRIGGER donor_merges_no_update BEFORE UPDATE ON donor_merges
BEGIN SELECT RAISE(ABORT, 'donor merges are append-only'); END;
CREATE TRIGGER donor_merges_no_delete BEFORE DELETE ON donor_merges
BEGIN SELECT RAISE(ABORT, 'donor merges are append-only'); END;
CREATE TRIGGER blood_group_determinations_no_update BEFORE UPDATE ON blood_group_determinations
BEGIN SELECT RAISE(ABORT, 'blood group determinations are append-only'); END;
CREATE TRIGGER blood_group_determinations_no_delete BEFORE DELETE ON blood_group_determinations
BEGIN SELECT RAISE(ABORT, 'blood group determinations are append-only'); END;
CREATE TRIGGER blood_group_resolutions_no_update BEFORE UPDATE ON blood_group_resolutions
BEGIN SELECT RAISE(ABORT, 'blood group resolutions are append-only'); END;
CREATE TRIGGER blood_group_resolutions_no_delete BEFORE DELETE ON blood_group_resolutions
BEGIN SELECT RAISE(ABORT, 'blood group resolutions are append-only'); END;
CREATE TRIGGER donor_attribute_results_no_update BEFORE UPDATE ON donor_attribute_results
BEGIN SELECT RAISE(ABORT, 'attribute results are append-only'); END;
CREATE TRIGGER donor_attribute_results_no_delete BEFORE DELETE ON donor_attribute_results
BEGIN SELECT RAISE(ABORT, 'attribute results are append-only'); END;
