-- Hospital sales: contracts with their price lists, orders and their lines, the units
-- reserved for them, shipments with their shipping containers and units (the consignee
-- record of every unit) and the hospital's receipt. Everything is append-only except the
-- end of a reservation and the once-set times of a shipment, which triggers guard.

-- Gap-free numbers per series and year (orders, shipments, invoices), advanced in the
-- transaction that uses the number: a rolled-back write gives its number back.
CREATE TABLE document_numbers (
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE contracts (
    id BLOB PRIMARY KEY,
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    number TEXT NOT NULL UNIQUE,
    effective_from TEXT NOT NULL,
    -- NULL: until a later contract starts
    effective_to TEXT,
    -- the price list as JSON (see docs/pricing.md)
    price_list TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX contracts_hospital ON contracts(hospital_id, effective_from);
CREATE TRIGGER contracts_no_update BEFORE UPDATE ON contracts
BEGIN SELECT RAISE(ABORT, 'contracts are append-only'); END;
CREATE TRIGGER contracts_no_delete BEFORE DELETE ON contracts
BEGIN SELECT RAISE(ABORT, 'contracts are append-only'); END;

CREATE TABLE orders (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    priority TEXT NOT NULL,
    due_at TEXT NOT NULL,
    -- portal, api, phone, standing
    channel TEXT NOT NULL,
    reference TEXT NOT NULL,
    note TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    placed_by TEXT NOT NULL
);
CREATE INDEX orders_hospital ON orders(hospital_id, placed_at);
CREATE TRIGGER orders_no_update BEFORE UPDATE ON orders
BEGIN SELECT RAISE(ABORT, 'orders are append-only'); END;
CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
BEGIN SELECT RAISE(ABORT, 'orders are append-only'); END;

CREATE TABLE order_lines (
    id BLOB PRIMARY KEY,
    order_id BLOB NOT NULL REFERENCES orders(id),
    line_no INTEGER NOT NULL,
    product TEXT NOT NULL,
    -- "O-", "AB+"; NULL: any group
    blood_group TEXT,
    quantity INTEGER NOT NULL,
    -- comma-separated requirement names
    requirements TEXT NOT NULL,
    -- comma-separated antigens the units must lack
    antigens TEXT NOT NULL,
    max_age_days INTEGER,
    substitution INTEGER NOT NULL,
    UNIQUE (order_id, line_no)
);
CREATE TRIGGER order_lines_no_update BEFORE UPDATE ON order_lines
BEGIN SELECT RAISE(ABORT, 'order lines are append-only'); END;
CREATE TRIGGER order_lines_no_delete BEFORE DELETE ON order_lines
BEGIN SELECT RAISE(ABORT, 'order lines are append-only'); END;

-- Where an order stands: the latest row.
CREATE TABLE order_states (
    order_id BLOB NOT NULL REFERENCES orders(id),
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);
CREATE TRIGGER order_states_no_update BEFORE UPDATE ON order_states
BEGIN SELECT RAISE(ABORT, 'order states are append-only'); END;
CREATE TRIGGER order_states_no_delete BEFORE DELETE ON order_states
BEGIN SELECT RAISE(ABORT, 'order states are append-only'); END;

-- Why a line is short (a back-order), as of each allocation; the latest row counts and
-- missing = 0 means the line is filled.
CREATE TABLE line_shortfalls (
    id BLOB PRIMARY KEY,
    order_line_id BLOB NOT NULL REFERENCES order_lines(id),
    recorded_at TEXT NOT NULL,
    missing INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX line_shortfalls_line ON line_shortfalls(order_line_id, recorded_at);
CREATE TRIGGER line_shortfalls_no_update BEFORE UPDATE ON line_shortfalls
BEGIN SELECT RAISE(ABORT, 'shortfalls are append-only'); END;
CREATE TRIGGER line_shortfalls_no_delete BEFORE DELETE ON line_shortfalls
BEGIN SELECT RAISE(ABORT, 'shortfalls are append-only'); END;

-- A unit reserved for an order line. The reservation ends once (shipped, given back,
-- order cancelled); a unit has at most one open reservation, which the unique index
-- guarantees whatever the code does.
CREATE TABLE allocations (
    id BLOB PRIMARY KEY,
    order_line_id BLOB NOT NULL REFERENCES order_lines(id),
    component_id BLOB NOT NULL REFERENCES components(id),
    allocated_at TEXT NOT NULL,
    allocated_by TEXT NOT NULL,
    -- the short-dated warning shown when it was proposed
    warning TEXT,
    ended_at TEXT,
    ended_by TEXT,
    end_reason TEXT
);
CREATE UNIQUE INDEX allocations_one_open ON allocations(component_id) WHERE ended_at IS NULL;
CREATE INDEX allocations_line ON allocations(order_line_id);
CREATE TRIGGER allocations_end_once BEFORE UPDATE ON allocations
WHEN OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL OR NEW.id IS NOT OLD.id OR NEW.order_line_id IS NOT OLD.order_line_id
  OR NEW.component_id IS NOT OLD.component_id OR NEW.allocated_at IS NOT OLD.allocated_at OR NEW.allocated_by IS NOT OLD.allocated_by
  OR NEW.warning IS NOT OLD.warning
BEGIN SELECT RAISE(ABORT, 'a reservation only ends, once'); END;
CREATE TRIGGER allocations_no_delete BEFORE DELETE ON allocations
BEGIN SELECT RAISE(ABORT, 'reservations are append-only'); END;

CREATE TABLE shipments (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    order_id BLOB NOT NULL REFERENCES orders(id),
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    courier TEXT,
    shipped_at TEXT,
    shipped_by TEXT,
    received_at TEXT,
    received_by TEXT,
    receipt_note TEXT
);
CREATE INDEX shipments_order ON shipments(order_id);
CREATE INDEX shipments_hospital ON shipments(hospital_id, shipped_at);
CREATE TRIGGER shipments_set_once BEFORE UPDATE ON shipments
WHEN NEW.id IS NOT OLD.id OR NEW.number IS NOT OLD.number OR NEW.order_id IS NOT OLD.order_id OR NEW.hospital_id IS NOT OLD.hospital_id
  OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
  OR (OLD.shipped_at IS NOT NULL AND (NEW.shipped_at IS NOT OLD.shipped_at OR NEW.shipped_by IS NOT OLD.shipped_by OR NEW.courier IS NOT OLD.courier))
  OR (OLD.received_at IS NOT NULL AND (NEW.received_at IS NOT OLD.received_at OR NEW.received_by IS NOT OLD.received_by OR NEW.receipt_note IS NOT OLD.receipt_note))
BEGIN SELECT RAISE(ABORT, 'a shipment''s times are set once'); END;
CREATE TRIGGER shipments_no_delete BEFORE DELETE ON shipments
BEGIN SELECT RAISE(ABORT, 'shipments are append-only'); END;

CREATE TABLE shipment_containers (
    id BLOB PRIMARY KEY,
    shipment_id BLOB NOT NULL REFERENCES shipments(id),
    seq INTEGER NOT NULL,
    -- frozen, refrigerated, room_temperature
    shipping_class TEXT NOT NULL,
    UNIQUE (shipment_id, seq)
);
CREATE TRIGGER shipment_containers_no_update BEFORE UPDATE ON shipment_containers
BEGIN SELECT RAISE(ABORT, 'containers are append-only'); END;
CREATE TRIGGER shipment_containers_no_delete BEFORE DELETE ON shipment_containers
BEGIN SELECT RAISE(ABORT, 'containers are append-only'); END;

-- The units of a shipment as scanned at packing: with the shipment's hospital and time,
-- the consignee record of each unit.
CREATE TABLE shipment_items (
    id BLOB PRIMARY KEY,
    shipment_id BLOB NOT NULL REFERENCES shipments(id),
    container_id BLOB NOT NULL REFERENCES shipment_containers(id),
    component_id BLOB NOT NULL REFERENCES components(id),
    allocation_id BLOB NOT NULL REFERENCES allocations(id),
    scanned TEXT NOT NULL,
    packed_at TEXT NOT NULL,
    packed_by TEXT NOT NULL,
    -- staff confirmed the hospital accepts a short-dated unit
    short_dated_confirmed INTEGER NOT NULL,
    UNIQUE (shipment_id, component_id),
    UNIQUE (allocation_id)
);
CREATE INDEX shipment_items_component ON shipment_items(component_id);
CREATE TRIGGER shipment_items_no_update BEFORE UPDATE ON shipment_items
BEGIN SELECT RAISE(ABORT, 'shipment items are append-only'); END;
CREATE TRIGGER shipment_items_no_delete BEFORE DELETE ON shipment_items
BEGIN SELECT RAISE(ABORT, 'shipment items are append-only'); END;
