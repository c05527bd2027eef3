-- Inventory: storage locations with their temperature class, where each unit is (every
-- move scanned, append-only), temperature excursions and why a unit was discarded.
CREATE TABLE storage_locations (
    id UUID PRIMARY KEY,
    -- the code on the location's barcode, e.g. FR-01
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    temperature_class TEXT NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE component_moves (
    id UUID PRIMARY KEY,
    component_id UUID NOT NULL REFERENCES components(id),
    location_id UUID NOT NULL REFERENCES storage_locations(id),
    seq BIGINT NOT NULL,
    moved_at TIMESTAMPTZ NOT NULL,
    moved_by TEXT NOT NULL,
    -- the unit's barcode data as scanned
    scanned TEXT NOT NULL,
    UNIQUE (component_id, seq)
);
CREATE INDEX component_moves_location ON component_moves(location_id, moved_at);
SELECT hemaflow_protect_append_only('component_moves');

CREATE TABLE temperature_excursions (
    id UUID PRIMARY KEY,
    location_id UUID NOT NULL REFERENCES storage_locations(id),
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ NOT NULL,
    lowest_c DOUBLE PRECISION NOT NULL,
    highest_c DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL,
    units_held BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('temperature_excursions');

CREATE TABLE component_discards (
    component_id UUID PRIMARY KEY REFERENCES components(id),
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    discarded_at TIMESTAMPTZ NOT NULL,
    discarded_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('component_discards');
CREATE INDEX components_expires_at ON components(expires_at);

-- The ABO/RhD on the label scanned at release (it matched the record, or the release was refused).
ALTER TABLE component_releases ADD COLUMN blood_group TEXT;

-- A donor notification task done: how the donor was told, by whom (21 CFR 630.40).
CREATE TABLE donor_notification_outcomes (
    notification_id UUID PRIMARY KEY REFERENCES donor_notifications(id),
    method TEXT NOT NULL,
    note TEXT NOT NULL,
    done_at TIMESTAMPTZ NOT NULL,
    done_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('donor_notification_outcomes');
