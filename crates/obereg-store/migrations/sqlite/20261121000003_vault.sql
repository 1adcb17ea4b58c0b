-- The vault: subjects, their sealed values and records, and (in the attached keystore file)
-- their wrapped data keys. See docs/vault.md.
--
-- The keystore lives in its own database file, attached to every connection as `keystore`,
-- so it can be backed up on its own schedule (at most 30 days kept): a backup of the data
-- file alone holds ciphertext without keys. Nothing in this file is readable without it.

CREATE TABLE subjects (
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
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX subjects_to_purge ON subjects (erased_at) WHERE status = 'erased' AND purged = 0;

-- One row per attribute value or activity record. `sealed` is AES-256-GCM under the
-- subject's data key; `blind` is a keyed HMAC of the normalised value for searchable
-- categories; `token` is the public handle of a card number.
CREATE TABLE subject_items (
    tenant_id    TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    purposes     TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    collected_at INTEGER NOT NULL,
    occurred_at  INTEGER,
    blind        BLOB,
    token        TEXT,
    sealed       BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, subject_id, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX subject_items_by_blind ON subject_items (tenant_id, category, blind) WHERE blind IS NOT NULL;
CREATE UNIQUE INDEX subject_items_by_token ON subject_items (tenant_id, token) WHERE token IS NOT NULL;

-- Key-encryption key versions. The keys themselves are derived from the root key; only
-- the version numbers and when they were introduced are stored.
CREATE TABLE keystore.kek_versions (
    version     INTEGER PRIMARY KEY NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

INSERT INTO keystore.kek_versions (version, created_at) VALUES (1, 0);

-- Each subject's data key, wrapped (AES-256-GCM) by a key-encryption key version.
-- Deleting a row is erasing the subject: without it no copy of the data can be opened.
CREATE TABLE keystore.subject_keys (
    tenant_id    TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    dek_version  INTEGER NOT NULL,
    kek_version  INTEGER NOT NULL,
    wrapped      BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, subject_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX keystore.subject_keys_by_kek ON subject_keys (kek_version);
