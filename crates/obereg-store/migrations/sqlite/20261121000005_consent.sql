-- Consent: every rendered consent document, and each subject's consent events.
-- See docs/consent.md.

-- A consent document version, rendered from the catalog, kept for good: every consent
-- event points to the exact version the subject saw (152-FZ art. 9 p.1 and p.3).
CREATE TABLE consent_documents (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    sha256           TEXT    NOT NULL,
    -- The purposes covered, comma-separated in catalog order.
    purposes         TEXT    NOT NULL,
    written          INTEGER NOT NULL,
    catalog_version  INTEGER NOT NULL,
    body_ru          TEXT    NOT NULL,
    body_en          TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
) STRICT;

-- Consent events, numbered per subject from 0. obereg only ever appends: the number is
-- the optimistic lock (an event is written at the number its writer replayed up to), so
-- two concurrent events of one subject cannot both pass validation against the same
-- history. Rows go only with the subject's purge after erasure. `evidence` (IP address,
-- user agent, recording or scan reference) is personal data and sealed under the subject's
-- data key like any value.
CREATE TABLE consent_events (
    subject_seq        INTEGER NOT NULL,
    idx                INTEGER NOT NULL,
    tenant_id          TEXT    NOT NULL,
    purpose            TEXT    NOT NULL,
    channel            TEXT,
    cookie             TEXT,
    action             TEXT    NOT NULL CHECK (action IN ('given', 'withdrawn', 'expired', 'refused')),
    at                 INTEGER NOT NULL,
    method             TEXT    NOT NULL,
    document           TEXT,
    valid_until        INTEGER,
    by_representative  INTEGER NOT NULL,
    evidence           BLOB,
    PRIMARY KEY (subject_seq, idx)
) STRICT, WITHOUT ROWID;
