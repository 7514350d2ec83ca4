-- When WhatsApp told us the user completed the flow (the nfm_reply webhook): a booking is confirmed
-- once, the first time; Meta's retries of the same completion leave the first time in place.
ALTER TABLE bookings ADD COLUMN confirmed_at BIGINT;
