-- Components: one unit of one product. Identity is the DIN with the product code
-- (its division included). A unit is never changed: steps make new units from it and
-- its state is a history of entries; the latest entry is where it stands.
CREATE TABLE components (
    id BLOB PRIMARY KEY,
    -- the donation it comes from; a pool, made from several, has none
    donation_id BLOB REFERENCES donations(id),
    din TEXT NOT NULL,
    -- the 8 content characters of the ISBT 128 product code, e.g. E0398V00
    product_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- comma-separated attribute names
    attributes TEXT NOT NULL DEFAULT '',
    anticoagulant TEXT NOT NULL DEFAULT '',
    additive_solution TEXT,
    volume_ml INTEGER,
    expires_at TEXT NOT NULL,
    -- the dating case (domain::dating) the expiry was computed from, as JSON: the
    -- product, its solution, the collection time with the site's offset and the steps
    dating_case TEXT NOT NULL,
    -- the step that made it (separation, irradiate, split, pool, ...) and the rule applied
    step TEXT NOT NULL,
    why TEXT NOT NULL,
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    UNIQUE (din, product_code)
);
CREATE INDEX components_donation ON components(donation_id);
CREATE TRIGGER components_no_update BEFORE UPDATE ON components
BEGIN SELECT RAISE(ABORT, 'components are append-only'); END;
CREATE TRIGGER components_no_delete BEFORE DELETE ON components
BEGIN SELECT RAISE(ABORT, 'components are append-only'); END;

-- Which units a unit was made from (one for a modification or a split, several for a pool).
CREATE TABLE component_sources (
    component_id BLOB NOT NULL REFERENCES components(id),
    source_id BLOB NOT NULL REFERENCES components(id),
    PRIMARY KEY (component_id, source_id)
);
CREATE INDEX component_sources_source ON component_sources(source_id);
CREATE TRIGGER component_sources_no_update BEFORE UPDATE ON component_sources
BEGIN SELECT RAISE(ABORT, 'component sources are append-only'); END;
CREATE TRIGGER component_sources_no_delete BEFORE DELETE ON component_sources
BEGIN SELECT RAISE(ABORT, 'component sources are append-only'); END;

-- Where a unit stands, as a history: in_processing, quarantine, modified, split, pooled, discarded.
CREATE TABLE component_states (
    component_id BLOB NOT NULL REFERENCES components(id),
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    at TEXT NOT NULL,
    by_user TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (component_id, seq)
);
CREATE TRIGGER component_states_no_update BEFORE UPDATE ON component_states
BEGIN SELECT RAISE(ABORT, 'component states are append-only'); END;
CREATE TRIGGER component_states_no_delete BEFORE DELETE ON component_states
BEGIN SELECT RAISE(ABORT, 'component states are append-only'); END;

-- Each donation is separated once (a second station is refused by this key).
CREATE TABLE donation_separations (
    donation_id BLOB PRIMARY KEY REFERENCES donations(id),
    separated_at TEXT NOT NULL,
    separated_by TEXT NOT NULL
);
CREATE TRIGGER donation_separations_no_update BEFORE UPDATE ON donation_separations
BEGIN SELECT RAISE(ABORT, 'separations are append-only'); END;
CREATE TRIGGER donation_separations_no_delete BEFORE DELETE ON donation_separations
BEGIN SELECT RAISE(ABORT, 'separations are append-only'); END;
