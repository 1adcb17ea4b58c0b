-- Anonymised statistics (issue 10 part 2, docs/statistics.md): each recipient's privacy
-- budget and the record of every dataset released (RKN Order 140: method, parameters,
-- dataset, who, when). The released numbers themselves are not kept here — only their hash:
-- the anonymised dataset is not stored with the source data.

-- A recipient's total budget (epsilon, delta) for differentially private releases.
CREATE TABLE privacy_budgets (
    tenant_id   TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    epsilon     REAL NOT NULL,
    delta       REAL NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, recipient)
) STRICT;

-- A released dataset: the query (source, grouping, bounds), the guarantee and its parameters
-- (JSON), the privacy spent, the size, the SHA-256 of the released table.
CREATE TABLE stat_releases (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    guarantee   TEXT    NOT NULL,
    epsilon     REAL NOT NULL,
    delta       REAL NOT NULL,
    cells       INTEGER NOT NULL,
    suppressed  INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX stat_releases_by_recipient ON stat_releases (tenant_id, recipient);
