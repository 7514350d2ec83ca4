-- Appointment booking schema (SQLite). Dates are ISO text ('YYYY-MM-DD'), times 'HH:MM', instants
-- Unix seconds: the same representation as the PostgreSQL schema, so one set of queries serves both.

CREATE TABLE departments (
    id       TEXT PRIMARY KEY,
    title    TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE locations (
    id       TEXT PRIMARY KEY,
    title    TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);

-- One bookable time: a department at a location on a day.
CREATE TABLE slots (
    id            TEXT PRIMARY KEY,
    department_id TEXT NOT NULL REFERENCES departments (id),
    location_id   TEXT NOT NULL REFERENCES locations (id),
    day           TEXT NOT NULL,
    start_time    TEXT NOT NULL,
    UNIQUE (department_id, location_id, day, start_time)
);
CREATE INDEX slots_by_location ON slots (location_id, department_id, day);

-- The seats of one slot.
CREATE TABLE seats (
    slot_id  TEXT NOT NULL REFERENCES slots (id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    title    TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (slot_id, id)
);

-- Flow tokens issued with `flows-appointments issue-token`.
CREATE TABLE flow_tokens (
    token      TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    booking_id TEXT
);

-- A seat is booked at most once per slot: the UNIQUE constraint decides races, not the application.
CREATE TABLE bookings (
    booking_id   TEXT PRIMARY KEY,
    flow_token   TEXT,
    slot_id      TEXT NOT NULL,
    seat_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    phone        TEXT NOT NULL,
    more_details TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (slot_id, seat_id),
    FOREIGN KEY (slot_id, seat_id) REFERENCES seats (slot_id, id)
);

-- A completed booking uses up its flow token, in the same transaction as the INSERT.
CREATE TRIGGER bookings_use_token AFTER INSERT ON bookings
WHEN NEW.flow_token IS NOT NULL
BEGIN
    UPDATE flow_tokens SET used_at = NEW.created_at, booking_id = NEW.booking_id
     WHERE token = NEW.flow_token;
END;
