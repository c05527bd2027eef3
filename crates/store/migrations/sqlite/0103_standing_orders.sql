-- Standing orders: a hospital's par level per product and group, topped up by a routine
-- order on the days and at the local time given. A run per standing order and day is
-- claimed by its unique key, so several servers generate each order once.
CREATE TABLE standing_orders (
    id BLOB PRIMARY KEY,
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    product TEXT NOT NULL,
    -- "O-"; NULL: any group (platelets, cryo)
    blood_group TEXT,
    par_level INTEGER NOT NULL,
    -- comma-separated weekdays: mon,tue,wed,thu,fri,sat,sun
    weekdays TEXT NOT NULL,
    -- local time of day, HH:MM
    time_of_day TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX standing_orders_hospital ON standing_orders(hospital_id);
CREATE TRIGGER standing_orders_no_update BEFORE UPDATE ON standing_orders
BEGIN SELECT RAISE(ABORT, 'standing orders are append-only'); END;
CREATE TRIGGER standing_orders_no_delete BEFORE DELETE ON standing_orders
BEGIN SELECT RAISE(ABORT, 'standing orders are append-only'); END;

CREATE TABLE standing_order_ends (
    standing_order_id BLOB PRIMARY KEY REFERENCES standing_orders(id),
    ended_at TEXT NOT NULL,
    ended_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TRIGGER standing_order_ends_no_update BEFORE UPDATE ON standing_order_ends
BEGIN SELECT RAISE(ABORT, 'standing orders are append-only'); END;
CREATE TRIGGER standing_order_ends_no_delete BEFORE DELETE ON standing_order_ends
BEGIN SELECT RAISE(ABORT, 'standing orders are append-only'); END;

CREATE TABLE standing_order_runs (
    standing_order_id BLOB NOT NULL REFERENCES standing_orders(id),
    -- the local date of the run
    run_on TEXT NOT NULL,
    ran_at TEXT NOT NULL,
    -- the order placed, if any was needed
    order_id BLOB REFERENCES orders(id),
    -- units on the hospital's shelf and units ordered, in words
    note TEXT NOT NULL,
    PRIMARY KEY (standing_order_id, run_on)
);
CREATE TRIGGER standing_order_runs_no_update BEFORE UPDATE ON standing_order_runs
BEGIN SELECT RAISE(ABORT, 'standing order runs are append-only'); END;
CREATE TRIGGER standing_order_runs_no_delete BEFORE DELETE ON standing_order_runs
BEGIN SELECT RAISE(ABORT, 'standing order runs are append-only'); END;
