-- 0001_journal: the event log, the clock and the materialized tables for contacts, notes, referrals.
-- Every materialized table is a pure function of the set of events (see core/apply.c): no column may
-- depend on the order events arrived in, or `cairn digest` would differ between equal journals.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value ANY
) STRICT;

-- The log. Identity is (device, seq); `hash` is the content hash (core/event.c) used to detect forks.
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  device  TEXT    NOT NULL,
  seq     INTEGER NOT NULL CHECK (seq >= 1),
  hlc     INTEGER NOT NULL,
  kind    TEXT    NOT NULL,
  entity  TEXT    NOT NULL,
  body    TEXT    NOT NULL,
  schema  INTEGER NOT NULL,
  hash    BLOB    NOT NULL,
  UNIQUE (device, seq)
) STRICT;
CREATE INDEX events_entity ON events (entity);

-- Events refused on ingest (a fork: same (device, seq), other content). Never applied.
CREATE TABLE quarantine (
  id      INTEGER PRIMARY KEY,
  device  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  hlc     INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  entity  TEXT NOT NULL,
  body    TEXT NOT NULL,
  schema  INTEGER NOT NULL,
  hash    BLOB NOT NULL,
  reason  TEXT NOT NULL,
  at      INTEGER NOT NULL
) STRICT;

-- Contacts ---------------------------------------------------------------------------------------
-- One row per contact ever written. cl: causal length (odd = alive).
CREATE TABLE contacts (
  entity  TEXT PRIMARY KEY,
  cl      INTEGER NOT NULL DEFAULT 1,
  created INTEGER NOT NULL          -- smallest hlc of any write
) STRICT;

-- Every field write ever made (the register history). `seen` lists the versions the writer had seen.
CREATE TABLE contact_writes (
  entity  TEXT NOT NULL,
  field   TEXT NOT NULL,
  value   TEXT,                     -- NULL clears the field
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (entity, field, hlc, device)
) STRICT, WITHOUT ROWID;

-- Versions a later write had seen: they are no longer heads of their register.
CREATE TABLE contact_superseded (
  entity  TEXT NOT NULL,
  field   TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (entity, field, hlc, device)
) STRICT, WITHOUT ROWID;

-- The register value: the write with the greatest (hlc, device); heads > 1 means an open conflict.
CREATE TABLE contact_fields (
  entity  TEXT NOT NULL,
  field   TEXT NOT NULL,
  value   TEXT,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  heads   INTEGER NOT NULL,
  PRIMARY KEY (entity, field)
) STRICT, WITHOUT ROWID;

-- Alias graph of merged contacts (a < b) and each member's surviving id (smallest of its component).
CREATE TABLE contact_edges (
  a TEXT NOT NULL,
  b TEXT NOT NULL,
  PRIMARY KEY (a, b)
) STRICT, WITHOUT ROWID;
CREATE TABLE contact_canon (
  entity TEXT PRIMARY KEY,
  canon  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Notes (immutable; amendments and strikes are separate rows) ----------------------------------------
CREATE TABLE notes (
  entity   TEXT PRIMARY KEY,
  contact  TEXT NOT NULL,
  kind     TEXT NOT NULL,
  date     TEXT NOT NULL,
  modality TEXT,
  minutes  INTEGER,
  text     TEXT NOT NULL,
  hlc      INTEGER NOT NULL,
  device   TEXT NOT NULL
) STRICT;
CREATE INDEX notes_contact ON notes (contact);

CREATE TABLE note_amends (
  note    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  text    TEXT NOT NULL,
  reason  TEXT,
  PRIMARY KEY (note, hlc, device)
) STRICT, WITHOUT ROWID;

CREATE TABLE note_strikes (
  note    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  reason  TEXT,
  PRIMARY KEY (note, hlc, device)
) STRICT, WITHOUT ROWID;

-- Referrals --------------------------------------------------------------------------------------
CREATE TABLE referrals (
  entity   TEXT PRIMARY KEY,
  contact  TEXT NOT NULL,
  category TEXT NOT NULL,
  target   TEXT NOT NULL,
  reason   TEXT,
  date     TEXT NOT NULL,
  hlc      INTEGER NOT NULL,
  device   TEXT NOT NULL
) STRICT;
CREATE INDEX referrals_contact ON referrals (contact);

-- Every status event (the history). rank orders states within a generation.
CREATE TABLE referral_events (
  referral TEXT NOT NULL,
  hlc      INTEGER NOT NULL,
  device   TEXT NOT NULL,
  gen      INTEGER NOT NULL,
  state    TEXT NOT NULL,
  rank     INTEGER NOT NULL,
  outcome  TEXT,
  reporter TEXT,
  note     TEXT,
  PRIMARY KEY (referral, hlc, device)
) STRICT, WITHOUT ROWID;

-- The lattice join of a referral's status events (recomputed from referral_events on each one).
CREATE TABLE referral_state (
  referral TEXT PRIMARY KEY,
  gen      INTEGER NOT NULL,
  state    TEXT NOT NULL,
  on_hold  INTEGER NOT NULL,
  struck   INTEGER NOT NULL,
  review   INTEGER NOT NULL,        -- clashing terminal states in the winning generation
  outcome  TEXT,
  reporter TEXT,
  hlc      INTEGER NOT NULL         -- of the event that set `state`
) STRICT, WITHOUT ROWID;

-- Full-text search over names and note text; lives in the encrypted database like everything else.
-- rowids follow contacts.rowid / notes.rowid so an update touches one row, not a scan.
CREATE VIRTUAL TABLE contact_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE note_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');
