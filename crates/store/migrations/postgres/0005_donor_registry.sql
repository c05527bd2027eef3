-- The donor registry: every change of a donor's details is a version of its own;
-- merges of duplicate records, blood group determinations with their resolutions,
-- and special attributes (antigens, CMV, HbS, IgA, HLA) are append-only histories.

CREATE TABLE donor_versions (
    donor_id UUID NOT NULL REFERENCES donors(id),
    version BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (donor_id, version)
);

CREATE TABLE donor_merges (
    duplicate_id UUID PRIMARY KEY REFERENCES donors(id),
    survivor_id UUID NOT NULL REFERENCES donors(id),
    merged_at TIMESTAMPTZ NOT NULL,
    merged_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    CHECK (duplicate_id <> survivor_id)
);
CREATE INDEX donor_merges_survivor ON donor_merges(survivor_id);

CREATE TABLE blood_group_determinations (
    id UUID PRIMARY KEY,
    donor_id UUID NOT NULL REFERENCES donors(id),
    abo TEXT NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd TEXT NOT NULL CHECK (rhd IN ('pos', 'neg')),
    determined_on DATE NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('lab', 'donor_card', 'import')),
    din TEXT,
    entered_by TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX blood_group_determinations_donor ON blood_group_determinations(donor_id);

-- Quality's statement of the correct group after a discrepancy.
CREATE TABLE blood_group_resolutions (
    id UUID PRIMARY KEY,
    donor_id UUID NOT NULL REFERENCES donors(id),
    abo TEXT NOT NULL CHECK (abo IN ('O', 'A', 'B', 'AB')),
    rhd TEXT NOT NULL CHECK (rhd IN ('pos', 'neg')),
    reason TEXT NOT NULL,
    resolved_by TEXT NOT NULL,
    resolved_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX blood_group_resolutions_donor ON blood_group_resolutions(donor_id);

-- attribute: 'cmv', 'hbs', 'iga', 'hla' or 'antigen:<name>'; the current value is the latest.
CREATE TABLE donor_attribute_results (
    id UUID PRIMARY KEY,
    donor_id UUID NOT NULL REFERENCES donors(id),
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    determined_on DATE NOT NULL,
    source TEXT NOT NULL,
    din TEXT,
    entered_by TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX donor_attribute_results_donor ON donor_attribute_results(donor_id, attribute);

-- The latest value per donor and attribute, kept with each result for searching.
CREATE TABLE donor_attributes_current (
    donor_id UUID NOT NULL REFERENCES donors(id),
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (donor_id, attribute)
);
CREATE INDEX donor_attributes_current_value ON donor_attributes_current(attribute, value);

CREATE TRIGGER donor_versions_append_only BEFORE UPDATE OR DELETE ON donor_versions
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
CREATE TRIGGER donor_merges_append_only BEFORE UPDATE OR DELETE ON donor_merges
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
CREATE TRIGGER blood_group_determinations_append_only BEFORE UPDATE OR DELETE ON blood_group_determinations
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
CREATE TRIGGER blood_group_resolutions_append_only BEFORE UPDATE OR DELETE ON blood_group_resolutions
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
CREATE TRIGGER donor_attribute_results_append_only BEFORE UPDATE OR DELETE ON donor_attribute_results
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
