-- 0015_note_amend_seen: two amendments of one note made without seeing each other are a conflict, raised
-- for review as a contact field's are, instead of the later one silently hiding the other.
-- A note.amend names the versions of the note it replaced ("seen": [[hlc, device], ...], [] for the
-- original text). An amendment recorded before this (not in note_amend_listed) names none: it replaced
-- every amendment older than itself, as the text shown always assumed, so old histories raise nothing.
-- (IF NOT EXISTS: tests replay the migrations after 0012 on a journal that has them.)

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
