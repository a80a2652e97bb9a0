-- 0005_crisis: mobile crisis events (core/crisis.c) and GPRA interviews (core/gpra.c).
-- Every table below except crisis_instruments is materialized from events (see the module's tables[] and
-- digest[] lists); crisis_instruments is data shipped with this schema, equal on every device.

-- Who opened or joined a crisis record, from which device, in which role. One row per open/join event.
-- joinp: the id prefix a teammate was given (read aloud, QR) when the crisis was not on the device yet.
CREATE TABLE crisis_opens (
  crisis  TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  role    TEXT,
  joinp   TEXT,
  PRIMARY KEY (crisis, hlc, device)
) STRICT, WITHOUT ROWID;
CREATE INDEX crisis_opens_joinp ON crisis_opens (joinp) WHERE joinp IS NOT NULL;

-- Every write of a crisis field (source, stamps, disposition, ...) by every member: nothing is dropped.
CREATE TABLE crisis_writes (
  crisis  TEXT NOT NULL,
  field   TEXT NOT NULL,
  value   TEXT,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (crisis, field, hlc, device)
) STRICT, WITHOUT ROWID;

-- Versions a later write had seen (so they are no longer heads). (hlc, device) names one event.
CREATE TABLE crisis_superseded (
  field   TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (field, hlc, device)
) STRICT, WITHOUT ROWID;

-- Records of the same call opened separately (crisis.link, or a join by prefix): an alias graph whose
-- smallest id survives, as contact_edges / contact_canon.
CREATE TABLE crisis_edges (
  a TEXT NOT NULL,
  b TEXT NOT NULL,
  PRIMARY KEY (a, b)
) STRICT, WITHOUT ROWID;
CREATE TABLE crisis_canon (
  entity TEXT PRIMARY KEY,
  canon  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX crisis_canon_canon ON crisis_canon (canon);

CREATE TABLE crisis_interventions (
  crisis  TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  type    TEXT NOT NULL,
  at      TEXT NOT NULL,
  detail  TEXT,
  PRIMARY KEY (crisis, hlc, device)
) STRICT, WITHOUT ROWID;

CREATE TABLE crisis_screens (
  crisis     TEXT NOT NULL,
  hlc        INTEGER NOT NULL,
  device     TEXT NOT NULL,
  instrument TEXT NOT NULL,
  answers    TEXT NOT NULL,   -- JSON object item -> true/false
  level      TEXT NOT NULL,
  PRIMARY KEY (crisis, hlc, device)
) STRICT, WITHOUT ROWID;

-- One row per surviving crisis id: each column is the value of its register over the whole alias
-- component (crisis.c `recompute_field`). Times are UTC, "YYYY-MM-DDTHH:MM:SSZ" (text order = time order).
CREATE TABLE crises (
  entity          TEXT PRIMARY KEY,
  received        TEXT,
  dispatched      TEXT,
  arrived         TEXT,
  cleared         TEXT,
  source          TEXT,
  location        TEXT,
  disposition     TEXT,
  police          TEXT,
  contact         TEXT,
  team            TEXT,
  followup_hours  TEXT,
  followup_to     TEXT,
  followup_done   TEXT,
  followup_result TEXT,
  review          INTEGER NOT NULL DEFAULT 0  -- number of fields whose members disagree
) STRICT, WITHOUT ROWID;
-- Covers the report's scan (crisis_report.c): a period is one range of this index, read in order, with no
-- lookup into the table per row (each would decrypt a page).
CREATE INDEX crises_period ON crises (received, team, dispatched, arrived, cleared, source, disposition, police,
                                      followup_done, review);
CREATE INDEX crises_followup_open ON crises (received) WHERE followup_done IS NULL;

-- Fields under review per surviving crisis (members recorded different values, none seen by the other).
CREATE TABLE crisis_review (
  crisis TEXT NOT NULL,
  field  TEXT NOT NULL,
  PRIMARY KEY (crisis, field)
) STRICT, WITHOUT ROWID;

-- Risk-screen instruments: data, not code. Each item that is answered yes raises the screen to at least
-- the item's level; `levels` orders them. Version the id when the wording changes.
CREATE TABLE crisis_instruments (
  id      TEXT PRIMARY KEY,
  title   TEXT NOT NULL,
  levels  TEXT NOT NULL,   -- JSON array, lowest first
  items   TEXT NOT NULL    -- JSON array of {"id", "text", "level"}
) STRICT;
INSERT INTO crisis_instruments VALUES (
  'cssrs-screen-1',
  'Columbia Suicide Severity Rating Scale, screen version (past month)',
  '["none","low","moderate","high"]',
  '[{"id":"wish_dead","text":"Wished you were dead or wished you could go to sleep and not wake up?","level":"low"},
    {"id":"thoughts","text":"Had any actual thoughts of killing yourself?","level":"low"},
    {"id":"method","text":"Been thinking about how you might do this?","level":"moderate"},
    {"id":"intent","text":"Had these thoughts and had some intention of acting on them?","level":"high"},
    {"id":"plan","text":"Started to work out or worked out the details of how to kill yourself, and intend to carry it out?","level":"high"},
    {"id":"behavior_3mo","text":"Done, started to do or prepared to do anything to end your life, in the past 3 months?","level":"high"},
    {"id":"behavior_ever","text":"Done, started to do or prepared to do anything to end your life, ever (more than 3 months ago)?","level":"moderate"}]'
);
INSERT INTO crisis_instruments VALUES (
  'danger-others-1',
  'Danger to others screen',
  '["none","low","moderate","high"]',
  '[{"id":"anger","text":"Reports anger or agitation toward another person?","level":"low"},
    {"id":"threat","text":"Has threatened to harm a specific person?","level":"moderate"},
    {"id":"weapon","text":"Has access to a weapon and intends to use it?","level":"high"},
    {"id":"violence","text":"Has been violent toward someone in the past 48 hours?","level":"high"}]'
);

-- GPRA interviews (grant reporting): intake, 6-month follow-up, discharge, with their dates.
CREATE TABLE gpra_interviews (
  entity     TEXT PRIMARY KEY,
  contact    TEXT NOT NULL,
  grant_no   TEXT NOT NULL,
  type       TEXT NOT NULL,    -- intake | followup | discharge
  date       TEXT NOT NULL,
  conducted  INTEGER NOT NULL, -- 0: attempted, not conducted (reason in `reason`)
  reason     TEXT,
  barc10     TEXT,             -- JSON array of 10 item scores (1-6), or NULL
  hlc        INTEGER NOT NULL,
  device     TEXT NOT NULL
) STRICT;
CREATE INDEX gpra_interviews_contact ON gpra_interviews (contact, grant_no, type);

-- The program's pseudonym secret: the one with the smallest (hlc, device) is used, so devices that each
-- minted one before syncing converge on the same.
CREATE TABLE gpra_secrets (
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  secret  TEXT NOT NULL,
  PRIMARY KEY (hlc, device)
) STRICT, WITHOUT ROWID;
