-- Slot days are dates, held to it as PostgreSQL's DATE column holds them (its 0004). SQLite has no
-- date type: a column declared DATE would hold the same ISO text ('YYYY-MM-DD', which is what sqlx
-- writes and reads for a date) with NUMERIC affinity, and changing a column's declared type means
-- rebuilding `slots` and, through their foreign keys, `seats` and `bookings`, inside the one
-- transaction sqlx runs a migration in (where foreign keys cannot be switched off). So the column
-- stays TEXT and these triggers refuse anything that is not a real date.
CREATE TRIGGER slots_day_is_a_date BEFORE INSERT ON slots
WHEN NEW.day IS NOT date(NEW.day)
BEGIN
    SELECT RAISE(ABORT, 'slots.day must be a YYYY-MM-DD date');
END;

CREATE TRIGGER slots_day_stays_a_date BEFORE UPDATE OF day ON slots
WHEN NEW.day IS NOT date(NEW.day)
BEGIN
    SELECT RAISE(ABORT, 'slots.day must be a YYYY-MM-DD date');
END;

-- Rows from before are held to the same rule: one that is not a date fails the migration, and
-- nothing changes.
UPDATE slots SET day = day WHERE day IS NOT date(day);
