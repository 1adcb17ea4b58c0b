-- The journal: an append-only RFC 6962 Merkle log per tenant (see docs/journal.md).
--
-- journal_heads holds each tenant's tree size and frontier (the right-edge subtree hashes);
-- every append locks its row first, so appends of one tenant are serialised and each entry
-- lands in the same transaction as the change it records.

CREATE TABLE journal_heads (
    tenant_id   TEXT    PRIMARY KEY REFERENCES tenants (id),
    size        BIGINT  NOT NULL,
    frontier    BYTEA   NOT NULL
);

-- body is the exact byte string hashed into the leaf: SHA-256(0x00 || body) = leaf_hash.
CREATE TABLE journal_entries (
    tenant_id   TEXT    NOT NULL,
    idx         BIGINT  NOT NULL,
    leaf_hash   BYTEA   NOT NULL,
    body        BYTEA   NOT NULL,
    subject_id  TEXT,
    PRIMARY KEY (tenant_id, idx)
);

CREATE INDEX journal_entries_by_subject ON journal_entries (tenant_id, subject_id, idx) WHERE subject_id IS NOT NULL;

-- Hashes of the perfect subtrees on every fourth level above the leaves (4, 8, 12, …):
-- one row per 15 entries, enough for any proof in O(log n) reads.
CREATE TABLE journal_nodes (
    tenant_id   TEXT    NOT NULL,
    level       BIGINT  NOT NULL,
    idx         BIGINT  NOT NULL,
    hash        BYTEA   NOT NULL,
    PRIMARY KEY (tenant_id, level, idx)
);

-- Signed C2SP checkpoints, all kept.
CREATE TABLE journal_checkpoints (
    tenant_id   TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    root        BYTEA   NOT NULL,
    note        TEXT    NOT NULL,
    signed_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, size)
);

-- Defence in depth: obereg never updates or deletes journal rows. A superuser can drop
-- these triggers; verification, not these, is the guarantee.
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END;
$$;

CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_nodes_append_only BEFORE UPDATE OR DELETE ON journal_nodes
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_checkpoints_append_only BEFORE UPDATE OR DELETE ON journal_checkpoints
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();

INSERT INTO journal_heads (tenant_id, size, frontier) SELECT id, 0, '\x'::bytea FROM tenants;
