#!/usr/bin/env python3
"""Prints the --walk-data of `flows load --walk` for walks/load.json: one object per free seat of
the demo clinic that flows-appointments seeds into an empty database (SeedData::demo in
src/store.rs: the next seven days after today, UTC, Sundays closed; four departments, each at two
of three cities; four times of six seats; the first day's 15:30 fully booked). Each walk books
its own seat, so no two walks race for one.
Usage: seats.py [COUNT]   (at most the number of free seats; default all)"""
import datetime
import json
import sys

departments = ["cardiology", "dermatology", "physiotherapy", "dentistry"]
locations = ["lisbon-centre", "porto-baixa", "coimbra"]
times = ["09:00", "10:30", "14:00", "15:30"]
seats = ["A1", "A2", "A3", "B1", "B2", "B3"]

today = datetime.datetime.now(datetime.timezone.utc).date()
days = [today + datetime.timedelta(days=n) for n in range(1, 8)]
days = [d for d in days if d.weekday() != 6]
rows = []
for day in days:
    for d, department in enumerate(departments):
        for l, location in enumerate(locations):
            if (d + l) % 3 == 2:
                continue
            for time in times:
                if day == days[0] and time == "15:30":
                    continue
                for seat in seats:
                    rows.append({"department": department, "location": location,
                                 "date": day.isoformat(), "time": time, "seat": seat})
# Interleave slots so concurrent users spread over days and times instead of one slot at a time.
rows.sort(key=lambda r: (r["seat"], r["time"], r["date"], r["department"], r["location"]))
count = int(sys.argv[1]) if len(sys.argv) > 1 else len(rows)
if count > len(rows):
    sys.exit(f"at most {len(rows)} walks: the demo clinic has {len(rows)} free seats")
json.dump(rows[:count], sys.stdout)
