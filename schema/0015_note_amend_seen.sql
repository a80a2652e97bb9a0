-- 0015_note_amend_seen: two amendments of one note made without seeing each other are a conflict, raised
-- for review as a contact field's are, instead of the later one silently hiding the other.
-- A note.amend names the versions of the note it replaced ("seen": [[hlc, device], ...], [] for the
-- original text). An amendment without a "seen" array names none: it replaced every amendment older than
-- itself, as the text shown always assumed, so old histories raise nothing. A malformed entry of "seen"
-- is skipped, not refused: an older cairn applied the event, and an upgraded journal must end as a new one.
-- (IF NOT EXISTS, OR IGNORE: tests replay the migrations after 0012 on a journal that has them.)

-- The amendments that name what they replaced.
CREATE TABLE IF NOT EXISTS note_amend_listed (
  note    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (note, hlc, device)
) STRICT, WITHOUT ROWID;

-- The versions they replaced.
CREATE TABLE IF NOT EXISTS note_amend_seen (
  note    TEXT NOT NULL,
  hlc     INTEGER NOT NULL,
  device  TEXT NOT NULL,
  PRIMARY KEY (note, hlc, device)
) STRICT, WITHOUT ROWID;

-- The heads of a note's amendments: those no other amendment replaced. More than one is an open conflict;
-- the text shown stays the newest amendment's (note_text), and every amendment stays in the history.
CREATE VIEW IF NOT EXISTS note_amend_heads AS
  SELECT a.note, a.hlc, a.device, a.text, a.reason FROM note_amends a
  WHERE NOT EXISTS (SELECT 1 FROM note_amend_seen s WHERE s.note = a.note AND s.hlc = a.hlc
                    AND s.device = a.device)
    AND NOT EXISTS (SELECT 1 FROM note_amends b WHERE b.note = a.note
                    AND (b.hlc > a.hlc OR (b.hlc = a.hlc AND b.device > a.device))
                    AND NOT EXISTS (SELECT 1 FROM note_amend_listed l WHERE l.note = b.note
                                    AND l.hlc = b.hlc AND l.device = b.device));

-- The notes whose amendments have more than one head, recomputed from the view whenever one of their
-- amendments arrives: listing conflicts (the sync engine does, around every import) costs what is open,
-- not the whole history.
CREATE TABLE IF NOT EXISTS note_amend_conflicts (
  note   TEXT PRIMARY KEY,
  heads  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A journal made before this may hold amendments whose bodies already carry "seen" (written by a newer
-- cairn, applied by an older one that ignored it): fill the tables from the log as apply.c would.
INSERT OR IGNORE INTO note_amend_listed (note, hlc, device)
  SELECT entity, hlc, device FROM events WHERE kind = 'note.amend' AND json_type(body, '$.seen') = 'array';
INSERT OR IGNORE INTO note_amend_seen (note, hlc, device)
  SELECT ev.entity, json_extract(s.value, '$[0]'), json_extract(s.value, '$[1]')
  FROM events ev, json_each(ev.body, '$.seen') s
  WHERE ev.kind = 'note.amend' AND json_type(ev.body, '$.seen') = 'array' AND s.type = 'array'
    AND json_array_length(s.value) = 2 AND json_type(s.value, '$[0]') = 'integer'
    AND json_type(s.value, '$[1]') = 'text';
DELETE FROM note_amend_conflicts;
INSERT INTO note_amend_conflicts (note, heads)
  SELECT note, count(*) FROM note_amend_heads GROUP BY note HAVING count(*) > 1;
