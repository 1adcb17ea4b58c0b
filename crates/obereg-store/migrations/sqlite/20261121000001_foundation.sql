-- Tenants, versioned catalogs and API tokens: the first tables of obereg.
-- Timestamps are UTC microseconds since the Unix epoch.

CREATE TABLE tenants (
    id          TEXT    PRIMARY KEY NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- Every accepted catalog is kept; the highest version is the one in force.
CREATE TABLE catalog_versions (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    version     INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT,
    PRIMARY KEY (tenant_id, version)
) STRICT;

-- Only a hash of each token is stored; the token itself is shown once at creation.
CREATE TABLE api_tokens (
    id          TEXT    PRIMARY KEY NOT NULL,
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    role        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;

CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id);
