-- The vault: subjects, their sealed values and records, and (in the `keystore` schema)
-- their wrapped data keys. See docs/vault.md.
--
-- The keystore is a schema of its own so it can be backed up on its own schedule (at most
-- 30 days kept): `pg_dump --exclude-schema=keystore` gives a data backup holding ciphertext
-- without keys, `pg_dump --schema=keystore` the keystore backup.

CREATE TABLE subjects (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    id            TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('active', 'restricted', 'erased')),
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    restricted_at BIGINT,
    erased_at     BIGINT,
    purged        BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX subjects_to_purge ON subjects (erased_at) WHERE status = 'erased' AND purged = 0;

CREATE TABLE subject_items (
    tenant_id    TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    purposes     TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    collected_at BIGINT  NOT NULL,
    occurred_at  BIGINT,
    blind        BYTEA,
    token        TEXT,
    sealed       BYTEA   NOT NULL,
    PRIMARY KEY (tenant_id, subject_id, id)
);

CREATE INDEX subject_items_by_blind ON subject_items (tenant_id, category, blind) WHERE blind IS NOT NULL;
CREATE UNIQUE INDEX subject_items_by_token ON subject_items (tenant_id, token) WHERE token IS NOT NULL;

CREATE SCHEMA keystore;

CREATE TABLE keystore.kek_versions (
    version     BIGINT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

INSERT INTO keystore.kek_versions (version, created_at) VALUES (1, 0);

CREATE TABLE keystore.subject_keys (
    tenant_id    TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    dek_version  BIGINT  NOT NULL,
    kek_version  BIGINT  NOT NULL,
    wrapped      BYTEA   NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, subject_id)
);

CREATE INDEX subject_keys_by_kek ON keystore.subject_keys (kek_version);
