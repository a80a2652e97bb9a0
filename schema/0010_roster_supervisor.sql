-- 0010_roster_supervisor: which enrolled devices the office made supervisors (roster device flag bit 1,
-- roster format 2), copied with the rest of the roster (sync/office.c). Once a journal holds a roster,
-- only their sign-offs of notes count (core/review.c). No roster before this version could carry the
-- flag, so the column starts at 0 everywhere: in a team with a roster, earlier sign-offs stop counting
-- until the office names its supervisors (README, "cairn office supervisor").
ALTER TABLE roster_devices ADD COLUMN supervisor INTEGER NOT NULL DEFAULT 0;
