-- 0002_sync: what the sync engine keeps in the encrypted journal (never in git, never in clear).

-- Team keys by epoch. Before the office's roster exists, epoch 0 comes from `cairn team init` or a join file.
CREATE TABLE teams (
  team    BLOB    NOT NULL,      -- 16 bytes
  epoch   INTEGER NOT NULL,
  key     BLOB    NOT NULL,      -- 32 bytes (the database pages holding it are encrypted)
  current INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (team, epoch)
) STRICT;

-- Devices named in a join file (and later the roster): their public keys.
CREATE TABLE members (
  device TEXT PRIMARY KEY,
  pk     BLOB NOT NULL,
  source TEXT NOT NULL
) STRICT;

-- Per-device import cursor: the last segment applied. Moved in the same transaction as its events.
CREATE TABLE cursors (
  device    TEXT PRIMARY KEY,
  last_seq  INTEGER NOT NULL,
  last_hash BLOB    NOT NULL,
  commit_id TEXT    NOT NULL
) STRICT;

-- Segments refused on import, with the reason `cairn sync status` shows.
CREATE TABLE segment_quarantine (
  device    TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  reason    TEXT NOT NULL,
  at        INTEGER NOT NULL,
  PRIMARY KEY (device, commit_id)
) STRICT;

-- Small local settings of the sync engine (remote options, last results).
CREATE TABLE sync_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
