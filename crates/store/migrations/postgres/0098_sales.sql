-- Hospital sales: contracts with their price lists, orders and their lines, the units
-- reserved for them, shipments with their shipping containers and units (the consignee
-- record of every unit) and the hospital's receipt. Everything is append-only except the
-- end of a reservation and the once-set times of a shipment, which triggers guard.

-- Gap-free numbers per series and year (orders, shipments, invoices), advanced in the
-- transaction that uses the number: a rolled-back write gives its number back.
CREATE TABLE document_numbers (
    series TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE contracts (
    id UUID PRIMARY KEY,
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    number TEXT NOT NULL UNIQUE,
    effective_from DATE NOT NULL,
    -- NULL: until a later contract starts
    effective_to DATE,
    -- the price list as JSON (see docs/pricing.md)
    price_list TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX contracts_hospital ON contracts(hospital_id, effective_from);
SELECT hemaflow_protect_append_only('contracts');

CREATE TABLE orders (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    priority TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    -- portal, api, phone, standing
    channel TEXT NOT NULL,
    reference TEXT NOT NULL,
    note TEXT NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL,
    placed_by TEXT NOT NULL
);
CREATE INDEX orders_hospital ON orders(hospital_id, placed_at);
SELECT hemaflow_protect_append_only('orders');

CREATE TABLE order_lines (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders(id),
    line_no BIGINT NOT NULL,
    product TEXT NOT NULL,
    -- "O-", "AB+"; NULL: any group
    blood_group TEXT,
    quantity BIGINT NOT NULL,
    -- comma-separated requirement names
    requirements TEXT NOT NULL,
    -- comma-separated antigens the units must lack
    antigens TEXT NOT NULL,
    max_age_days BIGINT,
    substitution BOOLEAN NOT NULL,
    UNIQUE (order_id, line_no)
);
SELECT hemaflow_protect_append_only('order_lines');

-- Where an order stands: the latest row.
CREATE TABLE order_states (
    order_id UUID NOT NULL REFERENCES orders(id),
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    changed_by TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);
SELECT hemaflow_protect_append_only('order_states');

-- Why a line is short (a back-order), as of each allocation; the latest row counts and
-- missing = 0 means the line is filled.
CREATE TABLE line_shortfalls (
    id UUID PRIMARY KEY,
    order_line_id UUID NOT NULL REFERENCES order_lines(id),
    recorded_at TIMESTAMPTZ NOT NULL,
    missing BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX line_shortfalls_line ON line_shortfalls(order_line_id, recorded_at);
SELECT hemaflow_protect_append_only('line_shortfalls');

-- A unit reserved for an order line. The reservation ends once (shipped, given back,
-- order cancelled); a unit has at most one open reservation, which the unique index
-- guarantees whatever the code does.
CREATE TABLE allocations (
    id UUID PRIMARY KEY,
    order_line_id UUID NOT NULL REFERENCES order_lines(id),
    component_id UUID NOT NULL REFERENCES components(id),
    allocated_at TIMESTAMPTZ NOT NULL,
    allocated_by TEXT NOT NULL,
    -- the short-dated warning shown when it was proposed
    warning TEXT,
    ended_at TIMESTAMPTZ,
    ended_by TEXT,
    end_reason TEXT
);
CREATE UNIQUE INDEX allocations_one_open ON allocations(component_id) WHERE ended_at IS NULL;
CREATE INDEX allocations_line ON allocations(order_line_id);
CREATE FUNCTION hemaflow_allocation_end_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL OR NEW.id IS DISTINCT FROM OLD.id
       OR NEW.order_line_id IS DISTINCT FROM OLD.order_line_id OR NEW.component_id IS DISTINCT FROM OLD.component_id
       OR NEW.allocated_at IS DISTINCT FROM OLD.allocated_at OR NEW.allocated_by IS DISTINCT FROM OLD.allocated_by
       OR NEW.warning IS DISTINCT FROM OLD.warning THEN
        RAISE EXCEPTION 'a reservation only ends, once';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER allocations_end_once BEFORE UPDATE OR DELETE ON allocations
    FOR EACH ROW EXECUTE FUNCTION hemaflow_allocation_end_once();
CREATE TRIGGER allocations_no_truncate BEFORE TRUNCATE ON allocations
    FOR EACH STATEMENT EXECUTE FUNCTION hemaflow_no_truncate();

CREATE TABLE shipments (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    order_id UUID NOT NULL REFERENCES orders(id),
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    courier TEXT,
    shipped_at TIMESTAMPTZ,
    shipped_by TEXT,
    received_at TIMESTAMPTZ,
    received_by TEXT,
    receipt_note TEXT
);
CREATE INDEX shipments_order ON shipments(order_id);
CREATE INDEX shipments_hospital ON shipments(hospital_id, shipped_at);
CREATE FUNCTION hemaflow_shipment_set_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id OR NEW.number IS DISTINCT FROM OLD.number
       OR NEW.order_id IS DISTINCT FROM OLD.order_id OR NEW.hospital_id IS DISTINCT FROM OLD.hospital_id
       OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.created_by IS DISTINCT FROM OLD.created_by
       OR (OLD.shipped_at IS NOT NULL AND (NEW.shipped_at IS DISTINCT FROM OLD.shipped_at OR NEW.shipped_by IS DISTINCT FROM OLD.shipped_by
           OR NEW.courier IS DISTINCT FROM OLD.courier))
       OR (OLD.received_at IS NOT NULL AND (NEW.received_at IS DISTINCT FROM OLD.received_at OR NEW.received_by IS DISTINCT FROM OLD.received_by
           OR NEW.receipt_note IS DISTINCT FROM OLD.receipt_note)) THEN
        RAISE EXCEPTION 'a shipment''s times are set once';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER shipments_set_once BEFORE UPDATE OR DELETE ON shipments
    FOR EACH ROW EXECUTE FUNCTION hemaflow_shipment_set_once();
CREATE TRIGGER shipments_no_truncate BEFORE TRUNCATE ON shipments
    FOR EACH STATEMENT EXECUTE FUNCTION hemaflow_no_truncate();

CREATE TABLE shipment_containers (
    id UUID PRIMARY KEY,
    shipment_id UUID NOT NULL REFERENCES shipments(id),
    seq BIGINT NOT NULL,
    -- frozen, refrigerated, room_temperature
    shipping_class TEXT NOT NULL,
    UNIQUE (shipment_id, seq)
);
SELECT hemaflow_protect_append_only('shipment_containers');

-- The units of a shipment as scanned at packing: with the shipment's hospital and time,
-- the consignee record of each unit.
CREATE TABLE shipment_items (
    id UUID PRIMARY KEY,
    shipment_id UUID NOT NULL REFERENCES shipments(id),
    container_id UUID NOT NULL REFERENCES shipment_containers(id),
    component_id UUID NOT NULL REFERENCES components(id),
    allocation_id UUID NOT NULL REFERENCES allocations(id),
    scanned TEXT NOT NULL,
    packed_at TIMESTAMPTZ NOT NULL,
    packed_by TEXT NOT NULL,
    -- staff confirmed the hospital accepts a short-dated unit
    short_dated_confirmed BOOLEAN NOT NULL,
    UNIQUE (shipment_id, component_id),
    UNIQUE (allocation_id)
);
CREATE INDEX shipment_items_component ON shipment_items(component_id);
SELECT hemaflow_protect_append_only('shipment_items');
