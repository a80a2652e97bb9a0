-- 0016_goal_status_seen: two changes of one goal's status made without seeing each other are a conflict,
-- raised for review as two amendments of one note are (0015), instead of the later one silently hiding
-- the other. A goal.status names the statuses of the goal it replaced ("seen": [[hlc, device], ...]; the
-- goal.add's own status is one of them). A goal.status without a "seen" array names none: it replaced
-- every status older than itself, as the status shown always assumed, so old histories raise nothing. A
-- malformed entry of "seen" is skipped, not refused: an older cairn applied the event, and an upgraded
-- journal must end as a new one. (IF NOT EXISTS, OR IGNORE: tests replay the migrations on a journal that
-- has them.)

-- The statuses that name what they replaced: those of goal.status events with "seen", and every goal's
-- first status (its goal.add), which replaced nothing. (Were a goal.add unnamed, a status written after it
-- under a clock behind the goal's author's would be hidden by it, and the goal would have no head.)
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

-- The heads of a goal's statuses: those no other status replaced. More than one is an open conflict; the
-- status shown stays the newest (goal list, reports, what is due), and every status stays in the history.
CREATE VIEW IF NOT EXISTS goal_status_heads AS
  SELECT s.goal, s.hlc, s.device, s.status, s.date, s.note FROM goal_status s
  WHERE NOT EXISTS (SELECT 1 FROM goal_status_seen x WHERE x.goal = s.goal AND x.hlc = s.hlc
                    AND x.device = s.device)
    AND NOT EXISTS (SELECT 1 FROM goal_status b WHERE b.goal = s.goal
                    AND (b.hlc > s.hlc OR (b.hlc = s.hlc AND b.device > s.device))
                    AND NOT EXISTS (SELECT 1 FROM goal_status_listed l WHERE l.goal = b.goal
                                    AND l.hlc = b.hlc AND l.device = b.device));

-- The goals whose statuses have more than one head, recomputed from the view whenever one of their
-- statuses arrives: listing conflicts (the sync engine does, around every import) costs what is open.
CREATE TABLE IF NOT EXISTS goal_status_conflicts (
  goal   TEXT PRIMARY KEY,
  heads  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A journal made before this may hold statuses whose bodies already carry "seen" (written by a newer
-- cairn, applied by an older one that ignored it): fill the tables from the log as goal.c would.
INSERT OR IGNORE INTO goal_status_listed (goal, hlc, device)
  SELECT entity, hlc, device FROM events
  WHERE kind = 'goal.add' OR (kind = 'goal.status' AND json_type(body, '$.seen') = 'array');
INSERT OR IGNORE INTO goal_status_seen (goal, hlc, device)
  SELECT ev.entity, json_extract(s.value, '$[0]'), json_extract(s.value, '$[1]')
  FROM events ev, json_each(ev.body, '$.seen') s
  WHERE ev.kind = 'goal.status' AND json_type(ev.body, '$.seen') = 'array' AND s.type = 'array'
    AND json_array_length(s.value) = 2 AND json_type(s.value, '$[0]') = 'integer'
    AND json_type(s.value, '$[1]') = 'text';
DELETE FROM goal_status_conflicts;
INSERT INTO goal_status_conflicts (goal, heads)
  SELECT goal, count(*) FROM goal_status_heads GROUP BY goal HAVING count(*) > 1;
