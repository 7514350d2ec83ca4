-- Slot days as DATE instead of ISO text: the database checks them, and the application reads them
-- as dates (the `time` crate through sqlx) instead of parsing text. The index and the unique
-- constraint on `day` are rebuilt with the column.
ALTER TABLE slots ALTER COLUMN day TYPE DATE USING CAST(day AS DATE);
