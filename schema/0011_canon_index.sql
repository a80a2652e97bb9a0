-- 0011_canon_index: the members of a person's merge group are found by their canon (CAIRN__GROUP in
-- core/domain.h, used by every list of one person's records); without this index each such list scanned
-- contact_canon, which holds a row for every contact that was ever merged.
CREATE INDEX contact_canon_canon ON contact_canon (canon);
