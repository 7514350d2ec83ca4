-- A flow token books at most once, and the database decides it: a unique index over the bookings
-- made with a checked token. It replaces the trigger that copied "used" into flow_tokens, which
-- two concurrent bookings with one token (different seats) could both pass. Whether a token is
-- used is now a fact about bookings, kept in one place, and booking costs one write less.
ALTER TABLE bookings ADD COLUMN token_checked BOOLEAN NOT NULL DEFAULT TRUE;

-- Bookings made with FLOWS_ACCEPT_ANY_TOKEN (tokens never issued, maybe shared by demo users).
UPDATE bookings b SET token_checked = FALSE
 WHERE NOT EXISTS (SELECT 1 FROM flow_tokens t WHERE t.token = b.flow_token);

-- A token that booked twice before this migration: its first booking keeps it.
UPDATE bookings b SET token_checked = FALSE
 WHERE b.token_checked
   AND EXISTS (SELECT 1 FROM bookings o
                WHERE o.token_checked AND o.flow_token = b.flow_token AND o.booking_id < b.booking_id);

CREATE UNIQUE INDEX bookings_one_per_token ON bookings (flow_token) WHERE token_checked;

DROP TRIGGER bookings_use_token ON bookings;
DROP FUNCTION bookings_use_token();
ALTER TABLE flow_tokens DROP COLUMN used_at, DROP COLUMN booking_id;
