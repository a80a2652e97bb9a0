-- 0017_plan_conflicts: the plans with versions written without seeing each other (more than one head),
-- kept as rows so that `cairn conflicts`, `status`, `contact list` and the sync engine's count around
-- every round list them at the cost of what is open, not of every plan version (a query over 80,000
-- versions took 0.2 s). Until this migration they were listed only by `plan conflicts`.
-- A plan is (person, type); person is the survivor of the merge group of the version's contact, as in
-- plan.c's heads. core/plan.c keeps both tables: when a version arrives, it becomes a head unless a
-- version of its plan has seen it, and the versions it names stop being heads of its plan (a lookup per
-- name, not a walk of the plan's history); when a merge joins two people, or a reused id moves a version
-- to another plan, the plans concerned are recomputed from all their versions. Each step leaves what the
-- set of versions and merges defines, so the rows do not depend on the order events arrived in.
-- Filled here from what the journal holds.
-- (IF NOT EXISTS, DELETE first: tests replay the migrations on a journal that has them.)

-- The heads: the versions no other version of the same plan has seen.
CREATE TABLE IF NOT EXISTS plan_heads (
  version TEXT PRIMARY KEY,
  contact TEXT NOT NULL,           -- the version's contact, as written (not its survivor)
  type    TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS plan_heads_contact ON plan_heads (contact, type);

-- The plans with more than one head.
CREATE TABLE IF NOT EXISTS plan_conflicts (
  person  TEXT NOT NULL,           -- the survivor id of the person's merge group
  type    TEXT NOT NULL,           -- relapse | safety
  heads   INTEGER NOT NULL,
  PRIMARY KEY (person, type)
) STRICT, WITHOUT ROWID;

DELETE FROM plan_heads;
INSERT INTO plan_heads (version, contact, type)
SELECT v.entity, v.contact, v.type FROM plan_versions v
WHERE NOT EXISTS (
  SELECT 1 FROM plan_seen s JOIN plan_versions w ON w.entity = s.version
  WHERE s.seen = v.entity AND w.type = v.type
    AND coalesce((SELECT canon FROM contact_canon k WHERE k.entity = w.contact), w.contact)
      = coalesce((SELECT canon FROM contact_canon k WHERE k.entity = v.contact), v.contact));

DELETE FROM plan_conflicts;
INSERT INTO plan_conflicts (person, type, heads)
SELECT coalesce((SELECT canon FROM contact_canon k WHERE k.entity = h.contact), h.contact) AS person, h.type,
       count(*)
FROM plan_heads h GROUP BY person, h.type HAVING count(*) > 1;
