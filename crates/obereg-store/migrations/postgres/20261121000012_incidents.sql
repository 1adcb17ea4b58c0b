-- Personal-data breaches (issue 10 part 1, docs/incidents.md): the incident record with its
-- facts, the notices sent to the authorities, and the subjects found affected.

-- An incident. `facts` is the JSON of obereg_core::incident::IncidentFacts (what happened,
-- systems, categories, counts, causes, harm, measures, contact, investigation): descriptions
-- of systems and events, never subjects' data. `version` grows with every change, so two
-- people editing at once cannot overwrite each other. `reminded` lists the notice kinds
-- whose reminder went out (comma-separated), so each reminder is sent once.
CREATE TABLE incidents (
    tenant_id        TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    gdpr             BOOLEAN NOT NULL,
    detected_at      BIGINT NOT NULL,
    facts            TEXT    NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       TEXT    NOT NULL,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL,
    dismissed_at     BIGINT,
    dismissed_reason TEXT,
    closed_at        BIGINT,
    reminded         TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX incidents_open ON incidents (tenant_id, detected_at) WHERE status IN ('suspected', 'confirmed');

-- A notice as it was sent: the exact text, its hash, when it went out and who recorded it.
-- One per kind: a correction is a new incident update, not a second notice.
CREATE TABLE incident_notices (
    tenant_id    TEXT    NOT NULL,
    incident_id  TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    sent_at      BIGINT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    recorded_by  TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, incident_id, kind)
);

-- The subjects an assessment found affected (their ids only), for the notices to them.
CREATE TABLE incident_subjects (
    tenant_id    TEXT    NOT NULL,
    incident_id  TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, incident_id, subject_id)
);
