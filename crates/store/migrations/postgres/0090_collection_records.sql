-- The collection record of a donation: bag set and anticoagulant lots, device, who
-- collected, when, how much and how it ended. A correction is a new version; no row
-- is ever changed or removed.
CREATE TABLE collection_records (
    id UUID PRIMARY KEY,
    donation_id UUID NOT NULL REFERENCES donations(id),
    version BIGINT NOT NULL CHECK (version >= 1),
    phlebotomist TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ NOT NULL,
    volume_ml BIGINT NOT NULL CHECK (volume_ml >= 0),
    -- complete, incomplete (QNS) or stopped
    outcome TEXT NOT NULL CHECK (outcome IN ('complete', 'incomplete', 'stopped')),
    stop_reason TEXT,
    bag_set_lot TEXT NOT NULL,
    bag_set_expires_on DATE NOT NULL,
    anticoagulant TEXT NOT NULL,
    anticoagulant_lot TEXT NOT NULL,
    anticoagulant_expires_on DATE NOT NULL,
    additive_solution TEXT,
    device_type TEXT,
    device_serial TEXT,
    -- apheresis platelets: single (1), double (2) or triple (3) collection
    platelet_units BIGINT CHECK (platelet_units BETWEEN 1 AND 3),
    -- concurrent products of an apheresis collection, comma-separated
    concurrent_products TEXT NOT NULL DEFAULT '',
    note TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    -- why a later version corrects the one before (required from version 2)
    reason TEXT,
    UNIQUE (donation_id, version)
);
SELECT hemaflow_protect_append_only('collection_records');

-- A donor adverse reaction at a donation (21 CFR 606.170), visible on the donor's record.
CREATE TABLE donor_reactions (
    id UUID PRIMARY KEY,
    donation_id UUID NOT NULL REFERENCES donations(id),
    donor_id UUID NOT NULL REFERENCES donors(id),
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe')),
    -- during the donation, after it at the site, or after the donor left
    onset TEXT NOT NULL CHECK (onset IN ('during', 'after_at_site', 'after_leaving')),
    onset_at TIMESTAMPTZ NOT NULL,
    treatment TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT,
    -- the register entry made because of the reaction, if any
    deferral_id UUID REFERENCES donor_deferrals(id),
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX donor_reactions_donor ON donor_reactions(donor_id, onset_at);
CREATE INDEX donor_reactions_donation ON donor_reactions(donation_id);
SELECT hemaflow_protect_append_only('donor_reactions');
