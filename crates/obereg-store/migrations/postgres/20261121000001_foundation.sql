-- Tenants, versioned catalogs and API tokens: the first tables of obereg.
-- Timestamps are UTC microseconds since the Unix epoch.

CREATE TABLE tenants (
    id          TEXT   PRIMARY KEY,
    name        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Every accepted catalog is kept; the highest version is the one in force.
CREATE TABLE catalog_versions (
    tenant_id   TEXT   NOT NULL REFERENCES tenants (id),
    version     BIGINT NOT NULL,
    sha256      TEXT   NOT NULL,
    source      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT,
    PRIMARY KEY (tenant_id, version)
);

-- Only a hash of each token is stored; the token itself is shown once at creation.
CREATE TABLE api_tokens (
    id          TEXT   PRIMARY KEY,
    tenant_id   TEXT   NOT NULL REFERENCES tenants (id),
    role        TEXT   NOT NULL,
    label       TEXT   NOT NULL,
    token_hash  BYTEA  NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id);
