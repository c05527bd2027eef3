-- Quality control results of units (platelet pH and content, residual white cells after
-- leukocyte reduction): each judged against the specification in force, never changed;
-- the latest result of a check is the one the release gate reads.
CREATE TABLE component_qc_results (
    id BLOB PRIMARY KEY,
    component_id BLOB NOT NULL REFERENCES components(id),
    check_code TEXT NOT NULL,
    value REAL NOT NULL,
    -- as entered
    entered TEXT NOT NULL,
    passed INTEGER NOT NULL,
    spec TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX component_qc_results_component ON component_qc_results(component_id);
CREATE TRIGGER component_qc_results_no_update BEFORE UPDATE ON component_qc_results
BEGIN SELECT RAISE(ABORT, 'component qc results are append-only'); END;
CREATE TRIGGER component_qc_results_no_delete BEFORE DELETE ON component_qc_results
BEGIN SELECT RAISE(ABORT, 'component qc results are append-only'); END;
