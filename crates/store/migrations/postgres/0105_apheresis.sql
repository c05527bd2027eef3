-- Therapeutic apheresis service: the nurses and devices sent to hospitals, travel times
-- between places, hospitals' requests for a course of treatment and the treatments
-- booked for them.

CREATE TABLE apheresis_nurses (
    id UUID PRIMARY KEY,
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
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);

-- The latest record per nurse and procedure holds.
CREATE TABLE apheresis_certifications (
    id UUID PRIMARY KEY,
    nurse_id UUID NOT NULL REFERENCES apheresis_nurses(id),
    procedure TEXT NOT NULL,
    expires_on DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX apheresis_certifications_nurse ON apheresis_certifications(nurse_id, procedure, recorded_at);
SELECT hemaflow_protect_append_only('apheresis_certifications');

CREATE TABLE apheresis_on_call (
    on_date DATE NOT NULL,
    nurse_id UUID NOT NULL REFERENCES apheresis_nurses(id),
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (on_date, nurse_id)
);

CREATE TABLE apheresis_devices (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    serial TEXT NOT NULL UNIQUE,
    device_type TEXT NOT NULL,
    maintenance_due DATE NOT NULL,
    home_site TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);

-- Minutes between two places (hospital or site codes), stored once with place_a < place_b.
CREATE TABLE travel_times (
    place_a TEXT NOT NULL,
    place_b TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (place_a, place_b)
);

CREATE TABLE apheresis_requests (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    mrn TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    birth_date DATE NOT NULL,
    sex TEXT NOT NULL,
    height_cm DOUBLE PRECISION NOT NULL,
    weight_kg DOUBLE PRECISION NOT NULL,
    hematocrit DOUBLE PRECISION NOT NULL,
    ordering_physician TEXT NOT NULL,
    indication TEXT NOT NULL,
    asfa_category TEXT NOT NULL,
    asfa_grade TEXT NOT NULL,
    procedure TEXT NOT NULL,
    treatments BIGINT NOT NULL,
    every_days BIGINT NOT NULL,
    urgency TEXT NOT NULL,
    earliest_on DATE,
    location TEXT NOT NULL,
    vascular_access TEXT NOT NULL,
    note TEXT NOT NULL,
    -- portal, api or phone
    channel TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX apheresis_requests_hospital ON apheresis_requests(hospital_id, created_at);
SELECT hemaflow_protect_append_only('apheresis_requests');

CREATE TABLE apheresis_request_states (
    request_id UUID NOT NULL REFERENCES apheresis_requests(id),
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    changed_by TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);
SELECT hemaflow_protect_append_only('apheresis_request_states');

-- One treatment of a series: a nurse and a device at a hospital for a time. Rescheduling
-- ends a booking and books another; a booking is never deleted.
CREATE TABLE apheresis_treatments (
    id UUID PRIMARY KEY,
    request_id UUID NOT NULL REFERENCES apheresis_requests(id),
    seq BIGINT NOT NULL,
    nurse_id UUID NOT NULL REFERENCES apheresis_nurses(id),
    device_id UUID NOT NULL REFERENCES apheresis_devices(id),
    -- the hospital's code, where the nurse travels to
    place TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    booked_at TIMESTAMPTZ NOT NULL,
    booked_by TEXT NOT NULL,
    ended_at TIMESTAMPTZ,
    ended_by TEXT,
    -- rescheduled or cancelled
    end_kind TEXT,
    end_reason TEXT
);
CREATE INDEX apheresis_treatments_request ON apheresis_treatments(request_id, seq);
CREATE INDEX apheresis_treatments_nurse ON apheresis_treatments(nurse_id, starts_at);
CREATE INDEX apheresis_treatments_device ON apheresis_treatments(device_id, starts_at);
CREATE UNIQUE INDEX apheresis_treatments_one_open ON apheresis_treatments(request_id, seq) WHERE ended_at IS NULL;
CREATE FUNCTION hemaflow_treatment_end_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL OR NEW.id IS DISTINCT FROM OLD.id
       OR NEW.request_id IS DISTINCT FROM OLD.request_id OR NEW.seq IS DISTINCT FROM OLD.seq
       OR NEW.nurse_id IS DISTINCT FROM OLD.nurse_id OR NEW.device_id IS DISTINCT FROM OLD.device_id
       OR NEW.place IS DISTINCT FROM OLD.place OR NEW.starts_at IS DISTINCT FROM OLD.starts_at
       OR NEW.ends_at IS DISTINCT FROM OLD.ends_at OR NEW.booked_at IS DISTINCT FROM OLD.booked_at
       OR NEW.booked_by IS DISTINCT FROM OLD.booked_by THEN
        RAISE EXCEPTION 'a booked treatment only ends, once';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER apheresis_treatments_end_once BEFORE UPDATE OR DELETE ON apheresis_treatments
    FOR EACH ROW EXECUTE FUNCTION hemaflow_treatment_end_once();
CREATE TRIGGER apheresis_treatments_no_truncate BEFORE TRUNCATE ON apheresis_treatments
    FOR EACH STATEMENT EXECUTE FUNCTION hemaflow_no_truncate();
