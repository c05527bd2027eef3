-- Return propensity scores, computed once per day (or on demand) and stored, so that
-- segment previews and campaign targeting read them instead of scoring the pool.
-- A run is claimed by inserting its row (one per as_of day): two servers on one
-- database never both compute the same day.

CREATE TABLE score_runs (
    id UUID PRIMARY KEY,
    as_of DATE NOT NULL UNIQUE,
    -- running (claimed, being computed) or done
    status TEXT NOT NULL CHECK (status IN ('running', 'done')),
    -- the candidate chosen by held-out AUC, e.g. logistic or frequency_12m
    model TEXT,
    -- every candidate's held-out AUC and the training sizes (JSON)
    report_json TEXT,
    donors BIGINT NOT NULL DEFAULT 0,
    claimed_at TIMESTAMPTZ NOT NULL,
    claimed_by TEXT NOT NULL,
    finished_at TIMESTAMPTZ
);

CREATE TABLE donor_scores (
    run_id UUID NOT NULL REFERENCES score_runs(id),
    donor_id UUID NOT NULL REFERENCES donors(id),
    score DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, donor_id)
);
