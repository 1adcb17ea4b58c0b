-- The change feed behind the engine's in-memory decision index (docs/consent.md, "The
-- decision index"). A write that changes what a decision or an authentication would answer
-- (a consent event, a subject's status, an erasure, a token revocation) upserts one row per
-- changed thing, in the same transaction as the change, stamped with the index of the
-- journal entry it appends. Journal indexes are handed out under the tenant's head lock,
-- so they follow commit order: a reader that has seen every row up to index N has seen every
-- change committed before the one at N. One row per thing keeps the table as small as the
-- number of subjects and tokens ever changed.
CREATE TABLE fact_changes (
    tenant_id  TEXT    NOT NULL,
    -- 'subject' (key: the subject id) or 'token' (key: the token id).
    kind       TEXT    NOT NULL CHECK (kind IN ('subject', 'token')),
    key        TEXT    NOT NULL,
    idx        BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, kind, key)
);

CREATE INDEX fact_changes_by_idx ON fact_changes (tenant_id, idx);
