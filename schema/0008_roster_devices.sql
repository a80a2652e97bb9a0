-- 0008_roster_devices: which team each enrolled device is in, copied from the verified roster each time
-- this journal adopts a newer one (sync/office.c), so `cairn report --team` counts exactly a team's
-- devices. Revoked devices stay: what they wrote before revocation is still their team's.
CREATE TABLE roster_devices (
  device TEXT PRIMARY KEY,       -- 16 hex digits
  team   BLOB NOT NULL,          -- 16 bytes
  status TEXT NOT NULL           -- enrolled | revoked
) STRICT, WITHOUT ROWID;
CREATE INDEX roster_devices_team ON roster_devices (team);

-- Journals that applied a roster before this table existed apply it once more, which fills it.
DELETE FROM sync_state WHERE key = 'roster_applied';
