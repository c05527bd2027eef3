-- Inventory: storage locations with their temperature class, where each unit is (every
-- move scanned, append-only), temperature excursions and why a unit was discarded.
CREATE TABLE storage_locations (
    id BLOB PRIMARY KEY,
    -- the code on the location's barcode, e.g. FR-01
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    temperature_class TEXT NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE component_moves (
    id BLOB PRIMARY KEY,
    component_id BLOB NOT NULL REFERENCES components(id),
    location_id BLOB NOT NULL REFERENCES storage_locations(id),
    seq INTEGER NOT NULL,
    moved_at TEXT NOT NULL,
    moved_by TEXT NOT NULL,
    -- the unit's barcode data as scanned
    scanned TEXT NOT NULL,
    UNIQUE (component_id, seq)
);
CREATE INDEX component_moves_location ON component_moves(location_id, moved_at);
CREATE TRIGGER component_moves_no_update BEFORE UPDATE ON component_moves
BEGIN SELECT RAISE(ABORT, 'unit moves are append-only'); END;
CREATE TRIGGER component_moves_no_delete BEFORE DELETE ON component_moves
BEGIN SELECT RAISE(ABORT, 'unit moves are append-only'); END;

CREATE TABLE temperature_excursions (
    id BLOB PRIMARY KEY,
    location_id BLOB NOT NULL REFERENCES storage_locations(id),
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    lowest_c REAL NOT NULL,
    highest_c REAL NOT NULL,
    note TEXT NOT NULL,
    units_held INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TRIGGER temperature_excursions_no_update BEFORE UPDATE ON temperature_excursions
BEGIN SELECT RAISE(ABORT, 'excursions are append-only'); END;
CREATE TRIGGER temperature_excursions_no_delete BEFORE DELETE ON temperature_excursions
BEGIN SELECT RAISE(ABORT, 'excursions are append-only'); END;

CREATE TABLE component_discards (
    component_id BLOB PRIMARY KEY REFERENCES components(id),
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    discarded_at TEXT NOT NULL,
    discarded_by TEXT NOT NULL
);
CREATE TRIGGER component_discards_no_update BEFORE UPDATE ON component_discards
BEGIN SELECT RAISE(ABORT, 'discards are append-only'); END;
CREATE TRIGGER component_discards_no_delete BEFORE DELETE ON component_discards
BEGIN SELECT RAISE(ABORT, 'discards are append-only'); END;
CREATE INDEX components_expires_at ON components(expires_at);

-- The ABO/RhD on the label scanned at release (it matched the record, or the release was refused).
ALTER TABLE component_releases ADD COLUMN blood_group TEXT;

-- A donor notification task done: how the donor was told, by whom (21 CFR 630.40).
CREATE TABLE donor_notification_outcomes (
    notification_id BLOB PRIMARY KEY REFERENCES donor_notifications(id),
    method TEXT NOT NULL,
    note TEXT NOT NULL,
    done_at TEXT NOT NULL,
    done_by TEXT NOT NULL
);
CREATE TRIGGER donor_notification_outcomes_no_update BEFORE UPDATE ON donor_notification_outcomes
BEGIN SELECT RAISE(ABORT, 'notifications are append-only'); END;
CREATE TRIGGER donor_notification_outcomes_no_delete BEFORE DELETE ON donor_notification_outcomes
BEGIN SELECT RAISE(ABORT, 'notifications are append-only'); END;
