-- 0014_merge_delete_conflicts: a merge and a delete (or restore) of one person made on two devices without
-- seeing each other are an open conflict (core/apply.c invariant 5), listed by `cairn conflicts` until a
-- decision (`cairn resolve PERSON deleted|alive`) has seen the whole person.
--
-- contact.delete and contact.merge bodies carry "seen": {member id: causal length}, every member of the
-- person(s) as the writer saw them. The events' facts are kept here; the conflicts are derived from them
-- by the view contact_lc_pairs, recomputed for a whole merge group whenever one of its events arrives.
-- Events written before this (no "seen") never raise a conflict.

-- Every contact.delete event (a delete or a restore: cl even or odd). seen: 1 when its body had a "seen" object.
CREATE TABLE IF NOT EXISTS contact_lifecycle (
  entity  TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  cl      INTEGER NOT NULL,
  seen    INTEGER NOT NULL,
  PRIMARY KEY (entity, hlc, device)
) STRICT, WITHOUT ROWID;

-- Every contact.merge event, its edge as in contact_edges (a < b).
CREATE TABLE IF NOT EXISTS contact_merges (
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  a       TEXT NOT NULL,
  b       TEXT NOT NULL,
  seen    INTEGER NOT NULL,
  PRIMARY KEY (hlc, device, a, b)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contact_merges_edge ON contact_merges (a, b);

-- The "seen" maps of both kinds of event: (event kind 'd' or 'm', hlc, device, member) -> cl. Two events
-- of one (kind, hlc, device) (only a forged log has them) keep the greater cl, whatever the order.
CREATE TABLE IF NOT EXISTS contact_lc_seen (
  kind    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  member  TEXT NOT NULL,
  cl      INTEGER NOT NULL,
  PRIMARY KEY (kind, hlc, device, member)
) STRICT, WITHOUT ROWID;

-- The rule (apply.c invariant 5). A row is a current delete/restore event on member `entity` of a merge
-- group (its cl is the member's, >= 2, and it carries "seen") and a merge edge (a, b) of that group that
-- did not see each other: the event's seen lacks a or b, and a merge event of that edge was made about
-- the member's person (the member is in its seen) without seeing the event (its seen[member] is lower
-- than the event's cl). A merge whose seen lacks the member joined two others, not the member's person
-- as its writer knew it: whatever later joined them to the member is another edge, judged on its own
-- (so two ordinary merges never raise one against an old restore). A merge without "seen" (older cairn)
-- names no member, so it never raises one either.
DROP VIEW IF EXISTS contact_lc_pairs;
CREATE VIEW contact_lc_pairs AS
SELECT l.entity AS entity, l.hlc AS hlc, l.device AS device, e.a AS a, e.b AS b
FROM contact_lifecycle l
JOIN contacts c ON c.entity = l.entity AND c.cl = l.cl
JOIN contact_canon k ON k.entity = l.entity
JOIN contact_canon ka ON ka.canon = k.canon
JOIN contact_edges e ON e.a = ka.entity
WHERE l.cl >= 2 AND l.seen
  AND NOT (EXISTS (SELECT 1 FROM contact_lc_seen s WHERE s.kind = 'd' AND s.hlc = l.hlc AND s.device = l.device
                   AND s.member = e.a)
           AND EXISTS (SELECT 1 FROM contact_lc_seen s WHERE s.kind = 'd' AND s.hlc = l.hlc
                       AND s.device = l.device AND s.member = e.b))
  AND EXISTS (
    SELECT 1 FROM contact_merges f -- the edge's merges first (CROSS JOIN): not every merge's seen rows
    CROSS JOIN contact_lc_seen s ON s.kind = 'm' AND s.hlc = f.hlc AND s.device = f.device AND s.member = l.entity
    WHERE f.a = e.a AND f.b = e.b AND s.cl < l.cl);

-- The open conflicts: contact_lc_pairs, materialized (apply.c rewrites a group's rows from the view).
CREATE TABLE IF NOT EXISTS contact_lc_conflicts (
  entity  TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  a       TEXT NOT NULL,
  b       TEXT NOT NULL,
  PRIMARY KEY (entity, hlc, device, a, b)
) STRICT, WITHOUT ROWID;

-- A journal made before this holds events whose bodies may already carry "seen" (written by a newer
-- cairn and applied by an older one, which ignored it): fill the tables from the log as apply.c would.
INSERT OR IGNORE INTO contact_lifecycle (entity, hlc, device, cl, seen)
  SELECT entity, hlc, device, json_extract(body, '$.cl'), coalesce(json_type(body, '$.seen') = 'object', 0) FROM events
  WHERE kind = 'contact.delete' AND json_type(body, '$.cl') = 'integer' AND json_extract(body, '$.cl') >= 1;
INSERT OR IGNORE INTO contact_merges (hlc, device, a, b, seen)
  SELECT hlc, device, min(entity, json_extract(body, '$.other')), max(entity, json_extract(body, '$.other')),
         coalesce(json_type(body, '$.seen') = 'object', 0) FROM events
  WHERE kind = 'contact.merge' AND json_type(body, '$.other') = 'text' AND json_extract(body, '$.other') != entity;
INSERT INTO contact_lc_seen (kind, hlc, device, member, cl)
  SELECT iif(ev.kind = 'contact.delete', 'd', 'm'), ev.hlc, ev.device, s.key, s.value
  FROM events ev, json_each(ev.body, '$.seen') s
  WHERE ev.kind IN ('contact.delete', 'contact.merge') AND json_type(ev.body, '$.seen') = 'object'
    AND s.type = 'integer' AND s.value >= 1
  ON CONFLICT (kind, hlc, device, member) DO UPDATE SET cl = max(cl, excluded.cl);
DELETE FROM contact_lc_conflicts;
INSERT OR IGNORE INTO contact_lc_conflicts (entity, hlc, device, a, b) SELECT entity, hlc, device, a, b FROM contact_lc_pairs;
