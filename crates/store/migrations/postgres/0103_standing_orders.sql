-- Standing orders: a hospital's par level per product and group, topped up by a routine
-- order on the days and at the local time given. A run per standing order and day is
-- claimed by its unique key, so several servers generate each order once.
CREATE TABLE standing_orders (
    id UUID PRIMARY KEY,
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    product TEXT NOT NULL,
    -- "O-"; NULL: any group (platelets, cryo)
    blood_group TEXT,
    par_level BIGINT NOT NULL,
    -- comma-separated weekdays: mon,tue,wed,thu,fri,sat,sun
    weekdays TEXT NOT NULL,
    -- local time of day, HH:MM
    time_of_day TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX standing_orders_hospital ON standing_orders(hospital_id);
SELECT hemaflow_protect_append_only('standing_orders');

CREATE TABLE standing_order_ends (
    standing_order_id UUID PRIMARY KEY REFERENCES standing_orders(id),
    ended_at TIMESTAMPTZ NOT NULL,
    ended_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('standing_order_ends');

CREATE TABLE standing_order_runs (
    standing_order_id UUID NOT NULL REFERENCES standing_orders(id),
    -- the local date of the run
    run_on DATE NOT NULL,
    ran_at TIMESTAMPTZ NOT NULL,
    -- the order placed, if any was needed
    order_id UUID REFERENCES orders(id),
    -- units on the hospital's shelf and units ordered, in words
    note TEXT NOT NULL,
    PRIMARY KEY (standing_order_id, run_on)
);
SELECT hemaflow_protect_append_only('standing_order_runs');
