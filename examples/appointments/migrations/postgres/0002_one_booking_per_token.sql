-- A flow token books at most once, and the database decides it: a unique index over the bookings
-- made with a checked token. The trigger that marked the token used could not: two concurrent
-- bookings with one token (different seats) both passed the insert's check, and the trigger then
-- overwrote used_at. The booking statement now records the use itself, in the same statement, and
-- flow_tokens.used_at stays what the token check reads (one key lookup).
ALTER TABLE bookings ADD COLUMN token_checked BOOLEAN NOT NULL DEFAULT TRUE;

-- Bookings made with FLOWS_ACCEPT_ANY_TOKEN (tokens never issued, maybe shared by demo users).
UPDATE bookings b SET token_checked = FALSE
 WHERE NOT EXISTS (SELECT 1 FROM flow_tokens t WHERE t.token = b.flow_token);

-- A token that booked twice before this migration: its first booking keeps it.
UPDATE bookings b SET token_checked = FALSE
 WHERE b.token_checked
   AND EXISTS (SELECT 1 FROM bookings o
                WHERE o.token_checked AND o.flow_token = b.flow_token AND o.booking_id < b.booking_id);

-- flow_tokens records the booking that keeps the token.
UPDATE flow_tokens t SET used_at = b.created_at, booking_id = b.booking_id
  FROM bookings b
 WHERE b.flow_token = t.token AND b.token_checked AND t.booking_id IS DISTINCT FROM b.booking_id;

CREATE UNIQUE INDEX bookings_one_per_token ON bookings (flow_token) WHERE token_checked;

DROP TRIGGER bookings_use_token ON bookings;
DROP FUNCTION bookings_use_token();
