-- Components: one unit of one product. Identity is the DIN with the product code
-- (its division included). A unit is never changed: steps make new units from it and
-- its state is a history of entries; the latest entry is where it stands.
CREATE TABLE components (
    id UUID PRIMARY KEY,
    -- the donation it comes from; a pool, made from several, has none
    donation_id UUID REFERENCES donations(id),
    din TEXT NOT NULL,
    -- the 8 content characters of the ISBT 128 product code, e.g. E0398V00
    product_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- comma-separated attribute names
    attributes TEXT NOT NULL DEFAULT '',
    anticoagulant TEXT NOT NULL DEFAULT '',
    additive_solution TEXT,
    volume_ml BIGINT,
    expires_at TIMESTAMPTZ NOT NULL,
    -- the dating case (domain::dating) the expiry was computed from, as JSON: the
    -- product, its solution, the collection time with the site's offset and the steps
    dating_case TEXT NOT NULL,
    -- the step that made it (separation, irradiate, split, pool, ...) and the rule applied
    step TEXT NOT NULL,
    why TEXT NOT NULL,
    made_at TIMESTAMPTZ NOT NULL,
    made_by TEXT NOT NULL,
    UNIQUE (din, product_code)
);
CREATE INDEX components_donation ON components(donation_id);
SELECT hemaflow_protect_append_only('components');

-- Which units a unit was made from (one for a modification or a split, several for a pool).
CREATE TABLE component_sources (
    component_id UUID NOT NULL REFERENCES components(id),
    source_id UUID NOT NULL REFERENCES components(id),
    PRIMARY KEY (component_id, source_id)
);
CREATE INDEX component_sources_source ON component_sources(source_id);
SELECT hemaflow_protect_append_only('component_sources');

-- Where a unit stands, as a history: in_processing, quarantine, modified, split, pooled, discarded.
CREATE TABLE component_states (
    component_id UUID NOT NULL REFERENCES components(id),
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    by_user TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (component_id, seq)
);
SELECT hemaflow_protect_append_only('component_states');

-- Each donation is separated once (a second station is refused by this key).
CREATE TABLE donation_separations (
    donation_id UUID PRIMARY KEY REFERENCES donations(id),
    separated_at TIMESTAMPTZ NOT NULL,
    separated_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('donation_separations');
