-- 0019_plan_counts: each plan's number of heads, kept so that applying a version costs a lookup per
-- version it names (0017 counted a plan's heads at every arrival: 16,000 heads took 40 s to import), and
-- the cleanups of a review of 0017. It replaces 0017's plan_conflicts with plan_counts (every plan's
-- count; more than one head is an open conflict, found through a partial index) and refills plan_heads.
-- core/plan.c: when a version arrives, it becomes a head unless a version of its plan has seen it, the
-- versions it names stop being heads of its plan, and the plan's count moves by the difference; a merge,
-- or a reused id moving a version to another plan, recomputes the plans concerned from all their
-- versions. Each step leaves what the set of versions and merges defines, so the rows do not depend on
-- the order events arrived in. Only relapse and safety plans have heads: a version of another type (only
-- a modified client writes one) would raise a conflict nobody could decide.
-- (A new migration, not an edit of 0017: journals made while 0017 stood have it recorded as applied.)
-- (IF NOT EXISTS, DELETE first: tests replay the migrations on a journal that has them.)

DROP TABLE IF EXISTS plan_conflicts;

-- A version cannot replace itself: one that named itself (only a modified client writes one) hid its
-- plan. apply.c no longer records such a name; the ones recorded before are dropped.
DELETE FROM plan_seen WHERE version = seen;

-- The heads: the versions no other version of the same plan has seen.
CREATE TABLE IF NOT EXISTS plan_heads (
  version TEXT PRIMARY KEY,
  contact TEXT NOT NULL,           -- the version's contact, as written (not its survivor)
  type    TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS plan_heads_contact ON plan_heads (contact, type);

-- Each plan's number of heads; more than one is an open conflict.
CREATE TABLE IF NOT EXISTS plan_counts (
  person  TEXT NOT NULL,           -- the survivor id of the person's merge group
  type    TEXT NOT NULL,           -- relapse | safety
  heads   INTEGER NOT NULL,
  PRIMARY KEY (person, type)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS plan_counts_open ON plan_counts (person, type) WHERE heads > 1;

DELETE FROM plan_heads;
INSERT INTO plan_heads (version, contact, type)
SELECT v.entity, v.contact, v.type FROM plan_versions v
WHERE v.type IN ('relapse', 'safety') AND NOT EXISTS (
  SELECT 1 FROM plan_seen s JOIN plan_versions w ON w.entity = s.version
  WHERE s.seen = v.entity AND w.type = v.type
    AND coalesce((SELECT canon FROM contact_canon k WHERE k.entity = w.contact), w.contact)
      = coalesce((SELECT canon FROM contact_canon k WHERE k.entity = v.contact), v.contact));

DELETE FROM plan_counts;
INSERT INTO plan_counts (person, type, heads)
SELECT coalesce((SELECT canon FROM contact_canon k WHERE k.entity = h.contact), h.contact) AS person, h.type,
       count(*)
FROM plan_heads h GROUP BY person, h.type;
