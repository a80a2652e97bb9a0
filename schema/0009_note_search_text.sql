-- 0009_note_search_text: the note search index keeps no copy of the text. It was a third copy (the
-- event body and the note row hold it too) and a fifth of a journal's size and write volume. The index
-- now reads a note's current text (its latest amendment, else the text it was added with) from the
-- view note_text when a search shows a snippet.
--
-- An external-content index must be told the exact text it holds when an entry is removed. So whatever
-- changes the current text of an indexed note first takes the old text out (the triggers below); the new
-- text goes in when the transaction ends (apply.c, with the other deferred index work). Both triggers
-- fire only on the rare paths: an amendment, or a second creation of one note id winning.
DROP TABLE note_fts;
CREATE VIEW note_text AS
  SELECT n.rowid AS rowid,
         coalesce((SELECT a.text FROM note_amends a WHERE a.note = n.entity ORDER BY a.hlc DESC, a.device DESC
                   LIMIT 1), n.text) AS text
  FROM notes n;
CREATE VIRTUAL TABLE note_fts USING fts5 (text, content = 'note_text', content_rowid = 'rowid',
                                          tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER note_fts_text BEFORE UPDATE OF text ON notes
WHEN EXISTS (SELECT 1 FROM note_fts_docsize WHERE id = old.rowid)
BEGIN
  INSERT INTO note_fts (note_fts, rowid, text) SELECT 'delete', rowid, text FROM note_text WHERE rowid = old.rowid;
END;

CREATE TRIGGER note_fts_amend BEFORE INSERT ON note_amends
WHEN EXISTS (SELECT 1 FROM notes n JOIN note_fts_docsize d ON d.id = n.rowid WHERE n.entity = new.note)
BEGIN
  INSERT INTO note_fts (note_fts, rowid, text)
    SELECT 'delete', t.rowid, t.text FROM notes n JOIN note_text t ON t.rowid = n.rowid WHERE n.entity = new.note;
END;

INSERT INTO note_fts (note_fts) VALUES ('rebuild');
