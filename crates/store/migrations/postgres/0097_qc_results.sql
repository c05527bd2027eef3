-- Quality control results of units (platelet pH and content, residual white cells after
-- leukocyte reduction): each judged against the specification in force, never changed;
-- the latest result of a check is the one the release gate reads.
CREATE TABLE component_qc_results (
    id UUID PRIMARY KEY,
    component_id UUID NOT NULL REFERENCES components(id),
    check_code TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    -- as entered
    entered TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    spec TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX component_qc_results_component ON component_qc_results(component_id);
SELECT hemaflow_protect_append_only('component_qc_results');
