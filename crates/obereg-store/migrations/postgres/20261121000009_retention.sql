-- Retention (issue 7): the events retention periods run from, sweeps with their progress,
-- and destruction acts (RKN Order 179).

-- The latest event of each trigger per subject and purpose: purpose achieved, contract
-- ended, account closed. Erasure deletes a subject's rows with its other data.
CREATE TABLE retention_events (
    tenant_id   TEXT    NOT NULL,
    subject_seq BIGINT NOT NULL,
    purpose     TEXT    NOT NULL,
    trigger_kind TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (subject_seq, purpose, trigger_kind)
);

-- A retention sweep: its progress (the last subject sequence number done) makes it
-- resumable; `as_of` is the moment every verdict of the sweep is taken at.
CREATE TABLE sweeps (
    tenant_id           TEXT    NOT NULL,
    id                  TEXT    NOT NULL,
    started_at          BIGINT NOT NULL,
    as_of               BIGINT NOT NULL,
    finished_at         BIGINT,
    cursor_seq           BIGINT NOT NULL DEFAULT 0,
    subjects_seen       BIGINT NOT NULL DEFAULT 0,
    values_destroyed    BIGINT NOT NULL DEFAULT 0,
    values_narrowed     BIGINT NOT NULL DEFAULT 0,
    subjects_erased     BIGINT NOT NULL DEFAULT 0,
    subjects_restricted BIGINT NOT NULL DEFAULT 0,
    acts                BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX sweeps_unfinished ON sweeps (tenant_id, started_at) WHERE finished_at IS NULL;

-- Destruction acts with their journal extract's place: entries [first_idx, end_idx) of
-- the tenant's journal. `body` holds no personal data; `sealed` holds the subjects' names
-- (sealed under the tenant's act key), kept as long as the act: three years.
CREATE TABLE destruction_acts (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    origin      TEXT    NOT NULL CHECK (origin IN ('sweep', 'request', 'staff')),
    origin_id   TEXT    NOT NULL,
    subjects    BIGINT NOT NULL,
    first_idx   BIGINT NOT NULL,
    end_idx     BIGINT NOT NULL,
    body        TEXT    NOT NULL,
    sealed      BYTEA,
    keep_until  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX destruction_acts_by_time ON destruction_acts (tenant_id, created_at);
CREATE INDEX destruction_acts_to_purge ON destruction_acts (keep_until);

-- Sweeps walk a tenant's subjects in sequence order, a batch at a time: without this index
-- SQLite answers "tenant = ? AND seq > ? ORDER BY seq" from the (tenant_id, id) index and
-- sorts the whole tenant for every batch.
CREATE INDEX subjects_by_tenant_seq ON subjects (tenant_id, seq);

-- Documents generated from the catalog (policy, notifications, record of processing), one
-- row per distinct text: a new catalog that changes a document adds a version, one that
-- does not adds nothing. The policy's history is the operator's evidence of what it
-- promised when (152-FZ art. 18.1 p.2).
CREATE TABLE generated_documents (
    tenant_id       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    lang            TEXT    NOT NULL,
    sha256          TEXT    NOT NULL,
    catalog_version BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    markdown        TEXT    NOT NULL,
    html            TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, kind, lang, sha256)
);

CREATE INDEX generated_documents_by_time ON generated_documents (tenant_id, kind, lang, created_at);
