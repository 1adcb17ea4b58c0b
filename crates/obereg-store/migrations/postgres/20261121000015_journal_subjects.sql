-- Entries naming several subjects (a batch lookup, a pre-dial check) list them in their
-- `subjects` field; this table finds those entries by subject, as `journal_entries_by_subject`
-- does for entries naming one. One narrow row per subject and entry instead of one entry per
-- subject: a check of 1,000 contacts that finds 500 subjects appends one leaf, not 500.
-- The rows are derived from the entry bodies, which the Merkle tree covers; an auditor can
-- rebuild them from the entries alone.
CREATE TABLE journal_subjects (
    tenant_id   TEXT    NOT NULL,
    subject_id  TEXT    NOT NULL,
    idx         BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, subject_id, idx)
);

CREATE TRIGGER journal_subjects_append_only BEFORE UPDATE OR DELETE ON journal_subjects
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
