-- Site visitors of the cookie banner (docs/consent.md, "Cookie consent"). A visitor is a
-- subject of the catalog's `[site] visitor_kind`; its browser holds a random secret, and
-- only the secret's SHA-256 is kept here, so a copy of the database does not let anyone
-- act as a visitor. The row goes with the subject's purge after erasure.
CREATE TABLE visitors (
    tenant_id    TEXT    NOT NULL,
    secret_hash  BYTEA   NOT NULL,
    subject_seq  BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, secret_hash)
);
