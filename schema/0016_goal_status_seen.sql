-- 0016_goal_status_seen: two changes of one goal's status made without seeing each other are a conflict,
-- raised for review as two amendments of one note are (0015), instead of the later one silently hiding
-- the other. A goal.status names the statuses of the goal it replaced ("seen": [[hlc, device], ...]). A
-- goal.status without a "seen" array names none: it replaced every status older than itself, as the
-- status shown always assumed, so old histories raise nothing. The goal's first status (its goal.add)
-- is replaced by any other status of the goal: every status was written by a device that held the goal.
-- The tables are filled from the log by core/seen.c (cairn__seen_backfill, run with this migration), with
-- the parser apply uses, so an upgraded journal ends as a new one does.
-- (IF NOT EXISTS: tests replay the migrations on a journal that has them.)

-- The statuses that name what they replaced (and every goal.add's status, which replaced nothing).
CREATE TABLE IF NOT EXISTS goal_status_listed (
  goal    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (goal, hlc, device)
) STRICT, WITHOUT ROWID;

-- The statuses they replaced.
CREATE TABLE IF NOT EXISTS goal_status_seen (
  goal    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (goal, hlc, device)
) STRICT, WITHOUT ROWID;

-- Per goal, the newest status that names nothing (it replaced every older one), kept as a maximum when
-- statuses arrive, so telling whether one hides another is one lookup, not a walk of the history.
CREATE TABLE IF NOT EXISTS goal_status_unlisted_max (
  goal    TEXT PRIMARY KEY,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- The heads of a goal's statuses: those no other status replaced. More than one is an open conflict.
-- What is shown is the newest head (goal list, due); every status stays in the history.
DROP VIEW IF EXISTS goal_status_heads;
CREATE VIEW goal_status_heads AS
  SELECT s.goal, s.hlc, s.device, s.status, s.date, s.note FROM goal_status s
  WHERE NOT EXISTS (SELECT 1 FROM goal_status_seen x WHERE x.goal = s.goal AND x.hlc = s.hlc
                    AND x.device = s.device)
    AND NOT EXISTS (SELECT 1 FROM goal_status_unlisted_max m WHERE m.goal = s.goal
                    AND (m.hlc > s.hlc OR (m.hlc = s.hlc AND m.device > s.device)))
    AND NOT (EXISTS (SELECT 1 FROM goals g WHERE g.entity = s.goal AND g.hlc = s.hlc AND g.device = s.device)
             AND EXISTS (SELECT 1 FROM goal_status o WHERE o.goal = s.goal
                         AND (o.hlc != s.hlc OR o.device != s.device)));

-- The goals whose statuses have more than one head, recomputed whenever one of their statuses arrives:
-- listing conflicts (the sync engine does, around every import) costs what is open.
CREATE TABLE IF NOT EXISTS goal_status_conflicts (
  goal   TEXT PRIMARY KEY,
  heads  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Note amendments (0015) the same way: the newest amendment that names nothing, per note, replaces the
-- view's walk over every newer amendment (a note with thousands of amendments naming nothing made each
-- new one cost seconds). cairn__seen_backfill fills it, and refills 0015's tables with apply's parser.
CREATE TABLE IF NOT EXISTS note_amend_unlisted_max (
  note    TEXT PRIMARY KEY,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
DROP VIEW IF EXISTS note_amend_heads;
CREATE VIEW note_amend_heads AS
  SELECT a.note, a.hlc, a.device, a.text, a.reason FROM note_amends a
  WHERE NOT EXISTS (SELECT 1 FROM note_amend_seen s WHERE s.note = a.note AND s.hlc = a.hlc
                    AND s.device = a.device)
    AND NOT EXISTS (SELECT 1 FROM note_amend_unlisted_max m WHERE m.note = a.note
                    AND (m.hlc > a.hlc OR (m.hlc = a.hlc AND m.device > a.device)));
