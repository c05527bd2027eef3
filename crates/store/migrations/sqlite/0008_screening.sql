-- Versions of the eligibility rules and of the donor questionnaire added by quality
-- staff (the built-in defaults are not stored). A version is never changed: a
-- correction is a new version with a later effective date.
CREATE TABLE policy_versions (
    kind TEXT NOT NULL CHECK (kind IN ('eligibility_rules', 'questionnaire')),
    version TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    body TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (kind, version),
    UNIQUE (kind, effective_from)
);

-- A screening visit: the questionnaire answers, the measurements and the decision,
-- exactly as they were on the day (21 CFR 630.10(c),(d)).
CREATE TABLE screening_visits (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    site_id BLOB NOT NULL REFERENCES sites(id),
    screened_on TEXT NOT NULL,
    procedure TEXT NOT NULL,
    questionnaire_version TEXT NOT NULL,
    rule_version TEXT NOT NULL,
    answers_json TEXT NOT NULL,
    case_json TEXT NOT NULL,
    decision_json TEXT NOT NULL,
    eligible INTEGER NOT NULL,
    screened_at TEXT NOT NULL,
    screened_by TEXT NOT NULL
);
CREATE INDEX screening_visits_donor ON screening_visits(donor_id, screened_at);

ALTER TABLE donations ADD COLUMN screening_visit_id BLOB REFERENCES screening_visits(id);
CREATE UNIQUE INDEX donations_screening_visit ON donations(screening_visit_id);

CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy versions are append-only'); END;
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy versions are append-only'); END;
CREATE TRIGGER screening_visits_no_update BEFORE UPDATE ON screening_visits
BEGIN SELECT RAISE(ABORT, 'screening visits are append-only'); END;
CREATE TRIGGER screening_visits_no_delete BEFORE DELETE ON screening_visits
BEGIN SELECT RAISE(ABORT, 'screening visits are append-only'); END;
