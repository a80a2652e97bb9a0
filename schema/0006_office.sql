-- 0006_office: what the central office keeps in its own encrypted journal (never in git, never in clear).
-- Team names are for the office's people only: the roster in git names teams by random 16-byte ids.
-- The org signing key lives in meta (org_sk, org_pk), team keys of every epoch in teams (current = 0:
-- the office reads every team and writes none).
CREATE TABLE office_teams (
  name TEXT PRIMARY KEY,
  team BLOB NOT NULL UNIQUE  -- 16 bytes
) STRICT;
