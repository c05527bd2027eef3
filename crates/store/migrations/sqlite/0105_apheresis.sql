-- Therapeutic apheresis service: the nurses and devices sent to hospitals, travel times
-- between places, hospitals' requests for a course of treatment and the treatments
-- booked for them.

CREATE TABLE apheresis_nurses (
    id BLOB PRIMARY KEY,
    -- the user who signs in as this nurse (role apheresis_nurse)
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- the site code the nurse starts from
    home_site TEXT NOT NULL,
    -- comma-separated weekdays: mon,tue,wed,thu,fri,sat,sun
    weekdays TEXT NOT NULL,
    -- local times, HH:MM
    day_start TEXT NOT NULL,
    day_end TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- The latest record per nurse and procedure holds.
CREATE TABLE apheresis_certifications (
    id BLOB PRIMARY KEY,
    nurse_id BLOB NOT NULL REFERENCES apheresis_nurses(id),
    procedure TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX apheresis_certifications_nurse ON apheresis_certifications(nurse_id, procedure, recorded_at);
CREATE TRIGGER apheresis_certifications_no_update BEFORE UPDATE ON apheresis_certifications
BEGIN SELECT RAISE(ABORT, 'certifications are append-only'); END;
CREATE TRIGGER apheresis_certifications_no_delete BEFORE DELETE ON apheresis_certifications
BEGIN SELECT RAISE(ABORT, 'certifications are append-only'); END;

CREATE TABLE apheresis_on_call (
    on_date TEXT NOT NULL,
    nurse_id BLOB NOT NULL REFERENCES apheresis_nurses(id),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (on_date, nurse_id)
);

CREATE TABLE apheresis_devices (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    serial TEXT NOT NULL UNIQUE,
    device_type TEXT NOT NULL,
    maintenance_due TEXT NOT NULL,
    home_site TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- Minutes between two places (hospital or site codes), stored once with place_a < place_b.
CREATE TABLE travel_times (
    place_a TEXT NOT NULL,
    place_b TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (place_a, place_b)
);

CREATE TABLE apheresis_requests (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    mrn TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    height_cm REAL NOT NULL,
    weight_kg REAL NOT NULL,
    hematocrit REAL NOT NULL,
    ordering_physician TEXT NOT NULL,
    indication TEXT NOT NULL,
    asfa_category TEXT NOT NULL,
    asfa_grade TEXT NOT NULL,
    procedure TEXT NOT NULL,
    treatments INTEGER NOT NULL,
    every_days INTEGER NOT NULL,
    urgency TEXT NOT NULL,
    earliest_on TEXT,
    location TEXT NOT NULL,
    vascular_access TEXT NOT NULL,
    note TEXT NOT NULL,
    -- portal, api or phone
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX apheresis_requests_hospital ON apheresis_requests(hospital_id, created_at);
CREATE TRIGGER apheresis_requests_no_update BEFORE UPDATE ON apheresis_requests
BEGIN SELECT RAISE(ABORT, 'apheresis requests are append-only'); END;
CREATE TRIGGER apheresis_requests_no_delete BEFORE DELETE ON apheresis_requests
BEGIN SELECT RAISE(ABORT, 'apheresis requests are append-only'); END;

CREATE TABLE apheresis_request_states (
    request_id BLOB NOT NULL REFERENCES apheresis_requests(id),
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);
CREATE TRIGGER apheresis_request_states_no_update BEFORE UPDATE ON apheresis_request_states
BEGIN SELECT RAISE(ABORT, 'apheresis request states are append-only'); END;
CREATE TRIGGER apheresis_request_states_no_delete BEFORE DELETE ON apheresis_request_states
BEGIN SELECT RAISE(ABORT, 'apheresis request states are append-only'); END;

-- One treatment of a series: a nurse and a device at a hospital for a time. Rescheduling
-- ends a booking and books another; a booking is never deleted.
CREATE TABLE apheresis_treatments (
    id BLOB PRIMARY KEY,
    request_id BLOB NOT NULL REFERENCES apheresis_requests(id),
    seq INTEGER NOT NULL,
    nurse_id BLOB NOT NULL REFERENCES apheresis_nurses(id),
    device_id BLOB NOT NULL REFERENCES apheresis_devices(id),
    -- the hospital's code, where the nurse travels to
    place TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    booked_at TEXT NOT NULL,
    booked_by TEXT NOT NULL,
    ended_at TEXT,
    ended_by TEXT,
    -- rescheduled or cancelled
    end_kind TEXT,
    end_reason TEXT
);
CREATE INDEX apheresis_treatments_request ON apheresis_treatments(request_id, seq);
CREATE INDEX apheresis_treatments_nurse ON apheresis_treatments(nurse_id, starts_at);
CREATE INDEX apheresis_treatments_device ON apheresis_treatments(device_id, starts_at);
CREATE UNIQUE INDEX apheresis_treatments_one_open ON apheresis_treatments(request_id, seq) WHERE ended_at IS NULL;
CREATE TRIGGER apheresis_treatments_end_once BEFORE UPDATE ON apheresis_treatments
WHEN OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL OR NEW.id IS NOT OLD.id OR NEW.request_id IS NOT OLD.request_id
  OR NEW.seq IS NOT OLD.seq OR NEW.nurse_id IS NOT OLD.nurse_id OR NEW.device_id IS NOT OLD.device_id OR NEW.place IS NOT OLD.place
  OR NEW.starts_at IS NOT OLD.starts_at OR NEW.ends_at IS NOT OLD.ends_at OR NEW.booked_at IS NOT OLD.booked_at OR NEW.booked_by IS NOT OLD.booked_by
BEGIN SELECT RAISE(ABORT, 'a booked treatment only ends, once'); END;
CREATE TRIGGER apheresis_treatments_no_delete BEFORE DELETE ON apheresis_treatments
BEGIN SELECT RAISE(ABORT, 'treatments are never deleted; cancel them'); END;
