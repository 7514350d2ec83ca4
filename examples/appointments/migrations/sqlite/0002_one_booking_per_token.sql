-- A flow token books at most once, and the database decides it: a unique index over the bookings
-- made with a checked token (SQLite's single writer already kept the trigger's check from racing;
-- the index states the rule for every writer). The trigger still records the use in flow_tokens.
ALTER TABLE bookings ADD COLUMN token_checked INTEGER NOT NULL DEFAULT 1;

-- Bookings made with FLOWS_ACCEPT_ANY_TOKEN (tokens never issued, maybe shared by demo users).
UPDATE bookings SET token_checked = 0
 WHERE NOT EXISTS (SELECT 1 FROM flow_tokens t WHERE t.token = bookings.flow_token);

-- A token that booked twice before this migration: its first booking keeps it.
UPDATE bookings SET token_checked = 0
 WHERE token_checked
   AND EXISTS (SELECT 1 FROM bookings o
                WHERE o.token_checked AND o.flow_token = bookings.flow_token
                  AND o.booking_id < bookings.booking_id);

-- flow_tokens records the booking that keeps the token.
UPDATE flow_tokens
   SET (used_at, booking_id) = (SELECT b.created_at, b.booking_id FROM bookings b
                                 WHERE b.flow_token = flow_tokens.token AND b.token_checked)
 WHERE EXISTS (SELECT 1 FROM bookings b
                WHERE b.flow_token = flow_tokens.token AND b.token_checked
                  AND b.booking_id IS NOT flow_tokens.booking_id);

CREATE UNIQUE INDEX bookings_one_per_token ON bookings (flow_token) WHERE token_checked;
