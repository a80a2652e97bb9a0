-- 0003_conflict_index: open conflicts are rare; a partial index makes counting and listing them cost
-- what there is to show, not the size of the journal (the sync round counts them after each import).
CREATE INDEX contact_fields_conflicts ON contact_fields (entity, field) WHERE heads > 1;
