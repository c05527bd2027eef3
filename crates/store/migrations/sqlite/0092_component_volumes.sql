-- A unit's volume as weighed at processing; the latest weighing counts over the volume
-- the unit was made with. Append-only like every unit record.
CREATE TABLE component_volumes (
    component_id BLOB NOT NULL REFERENCES components(id),
    seq INTEGER NOT NULL,
    volume_ml INTEGER NOT NULL CHECK (volume_ml > 0),
    at TEXT NOT NULL,
    by_user TEXT NOT NULL,
    PRIMARY KEY (component_id, seq)
);
CREATE TRIGGER component_volumes_no_update BEFORE UPDATE ON component_volumes
BEGIN SELECT RAISE(ABORT, 'component volumes are append-only'); END;
CREATE TRIGGER component_volumes_no_delete BEFORE DELETE ON component_volumes
BEGIN SELECT RAISE(ABORT, 'component volumes are append-only'); END;
