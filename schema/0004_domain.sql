-- 0004_domain: what peer recovery work records besides contacts, notes and referrals (issue 6): recovery
-- goals, relapse-prevention and safety plans, consents (42 CFR Part 2) and the accounting of disclosures,
-- assessments, the resource directory, group sessions, audit events and supervisor sign-offs.
-- Every table except `instruments`/`instrument_items` (configuration, seeded here) is materialized from
-- events by core/goal.c, plan.c, consent.c, assess.c, resource.c, group.c, audit.c, review.c and must
-- stay a pure function of the set of events (see core/apply.c).

-- Recovery goals ----------------------------------------------------------------------------------
CREATE TABLE goals (
  entity  TEXT PRIMARY KEY,
  contact TEXT NOT NULL,
  domain  TEXT NOT NULL,
  text    TEXT NOT NULL,           -- the goal in the person's words
  steps   TEXT NOT NULL,           -- JSON array of strings
  target  TEXT,                    -- YYYY-MM-DD
  date    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL
) STRICT;
CREATE INDEX goals_contact ON goals (contact);

-- Every status change is kept; the current status is the latest by (hlc, device).
CREATE TABLE goal_status (
  goal    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  status  TEXT NOT NULL,
  date    TEXT NOT NULL,
  note    TEXT,
  PRIMARY KEY (goal, hlc, device)
) STRICT, WITHOUT ROWID;

-- Plans (relapse-prevention, safety) ---------------------------------------------------------------
-- A version is an event. A plan is identified by (contact, type); its heads are the versions no other
-- version has seen. More than one head: concurrent edits, both kept, flagged for review.
CREATE TABLE plan_versions (
  entity  TEXT PRIMARY KEY,        -- the version id
  contact TEXT NOT NULL,
  type    TEXT NOT NULL,           -- relapse | safety
  body    TEXT NOT NULL,           -- JSON object: section -> array of strings
  date    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL
) STRICT;
CREATE INDEX plan_versions_contact ON plan_versions (contact, type);

CREATE TABLE plan_seen (
  version TEXT NOT NULL,           -- the later version
  seen    TEXT NOT NULL,           -- a version its author had seen
  PRIMARY KEY (version, seen)
) STRICT, WITHOUT ROWID;
CREATE INDEX plan_seen_seen ON plan_seen (seen);

-- Consents (42 CFR Part 2 section 2.31 elements) -----------------------------------------------------
CREATE TABLE consents (
  entity      TEXT PRIMARY KEY,
  contact     TEXT NOT NULL,       -- the person
  discloser   TEXT NOT NULL,       -- who may disclose (the program)
  recipient   TEXT NOT NULL,       -- to whom
  info        TEXT NOT NULL,       -- JSON array of information categories
  amount      TEXT,                -- how much and what kind, in words
  purpose     TEXT NOT NULL,
  expires     TEXT,                -- YYYY-MM-DD
  expiry_event TEXT,               -- or an event/condition, in words
  revocable   TEXT NOT NULL,       -- the revocability statement the person was given
  signed_name TEXT NOT NULL,
  signed_date TEXT NOT NULL,
  method      TEXT NOT NULL,       -- wet | verbal-witnessed | electronic
  witness     TEXT,
  hlc         INTEGER NOT NULL,
  device      TEXT NOT NULL
) STRICT;
CREATE INDEX consents_contact ON consents (contact);

CREATE TABLE consent_revocations (
  consent TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  date    TEXT NOT NULL,
  reason  TEXT,
  PRIMARY KEY (consent, hlc, device)
) STRICT, WITHOUT ROWID;

-- The accounting of disclosures: one row per disclosure, never removed.
CREATE TABLE disclosures (
  entity    TEXT PRIMARY KEY,
  contact   TEXT NOT NULL,
  recipient TEXT NOT NULL,
  purpose   TEXT NOT NULL,
  what      TEXT NOT NULL,         -- JSON array of information categories
  channel   TEXT NOT NULL,         -- export | report | referral | fhir | ...
  consent   TEXT,                  -- NULL for an emergency disclosure
  emergency TEXT,                  -- the reason, for a disclosure without consent
  worker    TEXT,
  hlc       INTEGER NOT NULL,
  device    TEXT NOT NULL
) STRICT;
CREATE INDEX disclosures_contact ON disclosures (contact);

-- Assessments ----------------------------------------------------------------------------------------
-- Instrument definitions are data: a program adds its own with INSERTs like the BARC-10 rows below.
CREATE TABLE instruments (
  id            TEXT PRIMARY KEY,  -- e.g. barc10
  name          TEXT NOT NULL,
  nitems        INTEGER NOT NULL CHECK (nitems > 0),
  min_score     INTEGER NOT NULL,  -- per item
  max_score     INTEGER NOT NULL,
  followup_days INTEGER,           -- a follow-up is due this long after the latest assessment
  scale         TEXT               -- what the scores mean
) STRICT;

CREATE TABLE instrument_items (
  instrument TEXT NOT NULL REFERENCES instruments (id),
  n          INTEGER NOT NULL,     -- 1-based
  text       TEXT NOT NULL,
  PRIMARY KEY (instrument, n)
) STRICT, WITHOUT ROWID;

INSERT INTO instruments VALUES ('barc10', 'Brief Assessment of Recovery Capital (BARC-10)', 10, 1, 6, 180,
  '1 strongly disagree, 2 disagree, 3 somewhat disagree, 4 somewhat agree, 5 agree, 6 strongly agree; total 10-60');
INSERT INTO instrument_items VALUES
  ('barc10', 1, 'There are more important things to me in life than using substances.'),
  ('barc10', 2, 'In general I am happy with my life.'),
  ('barc10', 3, 'I have enough energy to complete the tasks I set for myself.'),
  ('barc10', 4, 'I am proud of the community I live in and feel part of it.'),
  ('barc10', 5, 'I get lots of support from friends.'),
  ('barc10', 6, 'I regard my life as challenging and fulfilling without the need for using drugs or alcohol.'),
  ('barc10', 7, 'My living space has helped to drive my recovery journey.'),
  ('barc10', 8, 'I take full responsibility for my actions.'),
  ('barc10', 9, 'I am happy dealing with a range of professional people.'),
  ('barc10', 10, 'I am making good progress on my recovery journey.');

CREATE TABLE assessments (
  entity     TEXT PRIMARY KEY,
  contact    TEXT NOT NULL,
  instrument TEXT NOT NULL,
  date       TEXT NOT NULL,
  items      TEXT NOT NULL,        -- JSON array of integers
  total      INTEGER NOT NULL,
  hlc        INTEGER NOT NULL,
  device     TEXT NOT NULL
) STRICT;
CREATE INDEX assessments_contact ON assessments (contact, instrument, date);

-- Resource directory (an HSDS subset), published by the office -----------------------------------------
-- Every version is kept; the current one is the latest by (hlc, device).
CREATE TABLE resource_versions (
  resource TEXT NOT NULL,
  hlc      INTEGER NOT NULL,
  device   TEXT NOT NULL,
  body     TEXT NOT NULL,          -- JSON: name, organization, categories, phone, address, hours, ...
  PRIMARY KEY (resource, hlc, device)
) STRICT, WITHOUT ROWID;

-- The current version of each resource (recomputed from resource_versions).
CREATE TABLE resources (
  entity TEXT PRIMARY KEY,
  hlc    INTEGER NOT NULL,
  device TEXT NOT NULL,
  body   TEXT NOT NULL
) STRICT;

-- Group sessions ---------------------------------------------------------------------------------------
CREATE TABLE group_sessions (
  entity      TEXT PRIMARY KEY,
  date        TEXT NOT NULL,
  topic       TEXT NOT NULL,
  facilitator TEXT NOT NULL,
  minutes     INTEGER,
  hlc         INTEGER NOT NULL,
  device      TEXT NOT NULL
) STRICT;

CREATE TABLE group_attendance (
  session TEXT NOT NULL,
  contact TEXT NOT NULL,
  PRIMARY KEY (session, contact)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_attendance_contact ON group_attendance (contact);

-- Audit: who viewed or exported whose record, and when (the event's hlc and device) ---------------------
CREATE TABLE audit_events (
  entity  TEXT PRIMARY KEY,
  contact TEXT NOT NULL,
  what    TEXT NOT NULL,           -- contact show, plan print, export, ...
  worker  TEXT,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_contact ON audit_events (contact);

-- Supervision: sign-offs of notes ----------------------------------------------------------------------
CREATE TABLE note_signoffs (
  note       TEXT NOT NULL,
  hlc        INTEGER NOT NULL,
  device     TEXT NOT NULL,
  supervisor TEXT NOT NULL,
  comment    TEXT,
  PRIMARY KEY (note, hlc, device)
) STRICT, WITHOUT ROWID;
