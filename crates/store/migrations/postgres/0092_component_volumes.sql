-- A unit's volume as weighed at processing; the latest weighing counts over the volume
-- the unit was made with. Append-only like every unit record.
CREATE TABLE component_volumes (
    component_id UUID NOT NULL REFERENCES components(id),
    seq BIGINT NOT NULL,
    volume_ml BIGINT NOT NULL CHECK (volume_ml > 0),
    at TIMESTAMPTZ NOT NULL,
    by_user TEXT NOT NULL,
    PRIMARY KEY (component_id, seq)
);
SELECT hemaflow_protect_append_only('component_volumes');
