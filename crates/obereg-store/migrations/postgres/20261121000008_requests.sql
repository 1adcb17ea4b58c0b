-- Data-subject requests and the outbox (docs/requests.md).
--
-- A request row holds its whole current state; `version` is the optimistic lock: every
-- change writes version + 1 only where the version read is still there, so two staff acting
-- at once cannot both move a request. Contact details, the request text and reasons are
-- personal data and sit in `sealed` (AES-256-GCM under the tenant's request key, bound to
-- the tenant and request id). `contact_blind` is the blind index of the normalised contact
-- address, for rate limits and repeat checks without decrypting anything.
CREATE TABLE requests (
    tenant_id         TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    jurisdiction      TEXT    NOT NULL,
    channel           TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    version           BIGINT  NOT NULL,
    subject_id        TEXT,
    contact_blind     BYTEA,
    received_at       BIGINT  NOT NULL,
    due_on            TEXT    NOT NULL,
    due_provisional   BOOLEAN NOT NULL,
    extended          BOOLEAN NOT NULL,
    verified_by       TEXT,
    code_hash         BYTEA,
    code_expires_at   BIGINT,
    code_attempts     BIGINT  NOT NULL,
    codes_sent        BIGINT  NOT NULL,
    key_hash          BYTEA,
    sealed            BYTEA    NOT NULL,
    updated_at        BIGINT  NOT NULL,
    -- When staff were reminded of the due date.
    reminded_at       BIGINT ,
    closed_at         BIGINT,
    PRIMARY KEY (tenant_id, id)
);

-- The work queue: open requests by due date.
CREATE INDEX requests_open_by_due ON requests (tenant_id, due_on, id) WHERE closed_at IS NULL;
-- Over all tenants: the overdue gauge and the reminders.
CREATE INDEX requests_open_by_date ON requests (due_on) WHERE closed_at IS NULL;
CREATE INDEX requests_by_contact ON requests (tenant_id, contact_blind, received_at);
CREATE INDEX requests_by_subject ON requests (tenant_id, subject_id, received_at);
-- The tenant-wide cap on submissions through the public API.
CREATE INDEX requests_by_channel ON requests (tenant_id, channel, received_at);

-- Every transition of a request, numbered by the version it left; the reason (sealed, as
-- it may name the person) is what the subject was told.
CREATE TABLE request_events (
    tenant_id   TEXT    NOT NULL,
    request_id  TEXT    NOT NULL,
    idx         BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    event       TEXT    NOT NULL,
    from_state  TEXT    NOT NULL,
    to_state    TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    sealed_note BYTEA,
    PRIMARY KEY (tenant_id, request_id, idx)
);

-- Every message obereg sends, written in the transaction of the change that causes it and
-- delivered by a worker. `id` is the delivery id the receiver de-duplicates by. The sealed
-- payload (address and text) is wiped once the message is delivered.
CREATE TABLE outbox (
    tenant_id        TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    request_id       TEXT,
    -- The catalog recipient a webhook notice goes to.
    recipient        TEXT,
    channel          TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    template         TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts         BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    sealed           BYTEA,
    created_at       BIGINT  NOT NULL,
    sent_at          BIGINT,
    last_error       TEXT,
    -- When the recipient confirmed it acted on the notice.
    confirmed_at     BIGINT ,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_by_request ON outbox (tenant_id, request_id);

-- Objections (152-FZ art. 21 p.5.1, GDPR art. 21): the purposes a subject objected to, with
-- when and on which request. A decision for such a purpose denies when it rests on
-- legitimate interests or is marketing. Rows go with the subject's purge after erasure.
CREATE TABLE objections (
    subject_seq  BIGINT  NOT NULL,
    purpose      TEXT    NOT NULL,
    tenant_id    TEXT    NOT NULL,
    at           BIGINT  NOT NULL,
    request_id   TEXT,
    PRIMARY KEY (subject_seq, purpose)
);
