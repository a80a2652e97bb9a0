-- 0013_crisis_contact_index: the crises that name a person, found by their contact (cairn_audit_list in
-- core/audit.c: a view of a crisis made before `crisis link-person` named that person is in their trail).
-- Without it each `cairn audit PERSON` scanned every crisis.
CREATE INDEX IF NOT EXISTS crises_contact ON crises (contact);
