-- The change feed learns a third kind: 'contacts' (key 'new'), stamped by every transaction
-- that creates subjects, so the engine's in-memory contact index knows to read the subjects
-- numbered past the last one it read (see crates/obereg-engine/src/contact_index.rs).
-- SQLite cannot alter a CHECK constraint: the small table is copied.
CREATE TABLE fact_changes_v2 (
    tenant_id  TEXT    NOT NULL,
    -- 'subject' (key: the subject id), 'token' (key: the token id) or 'contacts' (key: 'new').
    kind       TEXT    NOT NULL CHECK (kind IN ('subject', 'token', 'contacts')),
    key        TEXT    NOT NULL,
    idx        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, key)
) STRICT, WITHOUT ROWID;

INSERT INTO fact_changes_v2 (tenant_id, kind, key, idx) SELECT tenant_id, kind, key, idx FROM fact_changes;
DROP TABLE fact_changes;
ALTER TABLE fact_changes_v2 RENAME TO fact_changes;
CREATE INDEX fact_changes_by_idx ON fact_changes (tenant_id, idx);
