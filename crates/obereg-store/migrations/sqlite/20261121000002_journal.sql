-- The journal: an append-only RFC 6962 Merkle log per tenant (see docs/journal.md).
--
-- journal_heads holds each tenant's tree size and frontier (the right-edge subtree hashes);
-- every append locks it first, so appends of one tenant are serialised and each entry lands
-- in the same transaction as the change it records.

CREATE TABLE journal_heads (
    tenant_id   TEXT    PRIMARY KEY NOT NULL REFERENCES tenants (id),
    size        INTEGER NOT NULL,
    frontier    BLOB    NOT NULL
) STRICT;

-- body is the exact byte string hashed into the leaf: SHA-256(0x00 || body) = leaf_hash.
CREATE TABLE journal_entries (
    tenant_id   TEXT    NOT NULL,
    idx         INTEGER NOT NULL,
    leaf_hash   BLOB    NOT NULL,
    body        BLOB    NOT NULL,
    subject_id  TEXT,
    PRIMARY KEY (tenant_id, idx)
) STRICT, WITHOUT ROWID;

CREATE INDEX journal_entries_by_subject ON journal_entries (tenant_id, subject_id, idx) WHERE subject_id IS NOT NULL;

-- Hashes of the perfect subtrees on every fourth level above the leaves (4, 8, 12, …):
-- one row per 15 entries, enough for any proof in O(log n) reads.
CREATE TABLE journal_nodes (
    tenant_id   TEXT    NOT NULL,
    level       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    hash        BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, level, idx)
) STRICT, WITHOUT ROWID;

-- Signed C2SP checkpoints, all kept.
CREATE TABLE journal_checkpoints (
    tenant_id   TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    root        BLOB    NOT NULL,
    note        TEXT    NOT NULL,
    signed_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, size)
) STRICT;

-- Defence in depth: obereg never updates or deletes journal rows. Someone with write
-- access to the file can drop these triggers; verification, not these, is the guarantee.
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_nodes_no_update BEFORE UPDATE ON journal_nodes BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_nodes_no_delete BEFORE DELETE ON journal_nodes BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_checkpoints_no_update BEFORE UPDATE ON journal_checkpoints BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_checkpoints_no_delete BEFORE DELETE ON journal_checkpoints BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;

INSERT INTO journal_heads (tenant_id, size, frontier) SELECT id, 0, X'' FROM tenants;
