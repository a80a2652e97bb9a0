-- 0010_roster_supervisor: which enrolled devices the office made supervisors (roster device flag bit 1),
-- copied with the rest of the roster (sync/office.c). Once a journal holds a roster, only their
-- sign-offs of notes count (core/review.c).
ALTER TABLE roster_devices ADD COLUMN supervisor INTEGER NOT NULL DEFAULT 0;

-- Journals that applied a roster before this column existed apply it once more, which fills it.
DELETE FROM sync_state WHERE key IN ('roster_applied', 'roster_devices');
