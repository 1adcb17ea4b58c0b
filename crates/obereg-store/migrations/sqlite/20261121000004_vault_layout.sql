-- Vault layout 2: a private sequence number per subject, so that a new subject's row, key
-- and items are appended at the end of their b-trees instead of at random places.
--
-- Public subject ids stay random (issue 4: not time-ordered, not guessable). Keyed by them,
-- every insert landed on a random page of four large tables, and a bulk import rewrote
-- most pages of the database file per transaction. `seq` is internal, never leaves the
-- store, and orders rows physically; only the narrow lookup tables (the public id and the
-- blind indexes) remain random by nature. See docs/vault.md, "Storage layout".

CREATE TABLE subjects_v2 (
    seq           INTEGER PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    id            TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('active', 'restricted', 'erased')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    restricted_at INTEGER,
    erased_at     INTEGER,
    -- 1 once an erased subject's rows have been deleted.
    purged        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, id)
) STRICT;

INSERT INTO subjects_v2 (tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at, purged)
    SELECT tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at, purged FROM subjects ORDER BY created_at, id;
DROP TABLE subjects;
ALTER TABLE subjects_v2 RENAME TO subjects;
CREATE INDEX subjects_to_purge ON subjects (erased_at) WHERE status = 'erased' AND purged = 0;

-- Items keyed by their subject's sequence number: a subject's items are adjacent, and a new
-- subject's go at the end. tenant_id and subject_id stay as plain columns.
CREATE TABLE subject_items_v2 (
    subject_seq  INTEGER NOT NULL,
    id           TEXT    NOT NULL,
    tenant_id    TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    purposes     TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    collected_at INTEGER NOT NULL,
    occurred_at  INTEGER,
    blind        BLOB,
    token        TEXT,
    sealed       BLOB    NOT NULL,
    PRIMARY KEY (subject_seq, id)
) STRICT, WITHOUT ROWID;

INSERT INTO subject_items_v2 (subject_seq, id, tenant_id, subject_id, kind, category, purposes, source, collected_at, occurred_at, blind, token, sealed)
    SELECT s.seq, i.id, i.tenant_id, i.subject_id, i.kind, i.category, i.purposes, i.source, i.collected_at, i.occurred_at, i.blind, i.token, i.sealed
    FROM subject_items i JOIN subjects s ON s.tenant_id = i.tenant_id AND s.id = i.subject_id;
DROP TABLE subject_items;
ALTER TABLE subject_items_v2 RENAME TO subject_items;
CREATE UNIQUE INDEX subject_items_by_token ON subject_items (tenant_id, token) WHERE token IS NOT NULL;

-- The blind indexes on their own, narrow: 16 random bytes and a sequence number per
-- searchable value (the HMAC key is per tenant and category already; the category is kept
-- to answer only for the category asked). One row per subject and value.
CREATE TABLE subject_blinds (
    blind        BLOB    NOT NULL,
    subject_seq  INTEGER NOT NULL,
    category     TEXT    NOT NULL,
    PRIMARY KEY (blind, subject_seq)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO subject_blinds (blind, subject_seq, category)
    SELECT blind, subject_seq, category FROM subject_items WHERE blind IS NOT NULL;

-- Keys by sequence number too. Rotation walks them in that order; the index by KEK version
-- went (every rotation reads every key anyway).
CREATE TABLE keystore.subject_keys_v2 (
    subject_seq  INTEGER PRIMARY KEY,
    tenant_id    TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    dek_version  INTEGER NOT NULL,
    kek_version  INTEGER NOT NULL,
    wrapped      BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

INSERT INTO keystore.subject_keys_v2 (subject_seq, tenant_id, subject_id, dek_version, kek_version, wrapped, created_at)
    SELECT s.seq, k.tenant_id, k.subject_id, k.dek_version, k.kek_version, k.wrapped, k.created_at
    FROM keystore.subject_keys k JOIN main.subjects s ON s.tenant_id = k.tenant_id AND s.id = k.subject_id;
DROP TABLE keystore.subject_keys;
ALTER TABLE keystore.subject_keys_v2 RENAME TO subject_keys;
