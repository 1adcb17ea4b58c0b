-- Entries naming several subjects (a batch lookup, a pre-dial check) list them in their
-- `subjects` field; this table finds those entries by subject, as `journal_entries_by_subject`
-- does for entries naming one. One narrow row per subject and entry instead of one entry per
-- subject: a check of 1,000 contacts that finds 500 subjects appends one leaf, not 500.
-- The rows are derived from the entry bodies, which the Merkle tree covers; an auditor can
-- rebuild them from the entries alone.
--
-- They are written behind the appends, not with them: 500 rows at random places of this index
-- cost a pre-dial batch ten times its journal entry. Such entries carry `subject_id = '*'`
-- (no subject id looks like that), so `journal_entries_by_subject` lists them in order; the
-- first by-subject read after them (or `Store::index_journal_subjects`) reads those past the
-- tenant's mark, writes their rows sorted, and moves the mark, in one transaction.
CREATE TABLE journal_subjects (
    tenant_id   TEXT    NOT NULL,
    subject_id  TEXT    NOT NULL,
    idx         BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, subject_id, idx)
);

CREATE TRIGGER journal_subjects_append_only BEFORE UPDATE OR DELETE ON journal_subjects
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();

CREATE TABLE journal_subject_marks (
    tenant_id   TEXT    PRIMARY KEY,
    -- Every entry with index below `upto` has its rows in journal_subjects.
    upto        BIGINT  NOT NULL
);
