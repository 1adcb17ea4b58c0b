-- Policy publications (issue 7 part 4): each published version of the privacy policy with
-- its effective date and material changes, the notices to subjects it queues, and the
-- subjects who asked not to receive such notices again.

-- A published policy version. `changes` is the JSON list of material changes since the
-- publication before it; `cursor_seq` is the last subject sequence number whose notice
-- is queued, so queuing resumes after a crash; `notified_at` is set when it finished.
CREATE TABLE policy_publications (
    tenant_id        TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    seq              BIGINT NOT NULL,
    catalog_version  BIGINT NOT NULL,
    sha_ru           TEXT    NOT NULL,
    sha_en           TEXT    NOT NULL,
    published_at     BIGINT NOT NULL,
    published_by     TEXT    NOT NULL,
    effective_on     TEXT    NOT NULL,
    changes          TEXT    NOT NULL,
    reconsent        BIGINT NOT NULL,
    notify           BOOLEAN NOT NULL,
    cursor_seq       BIGINT NOT NULL DEFAULT 0,
    notices_queued   BIGINT NOT NULL DEFAULT 0,
    notices_skipped  BIGINT NOT NULL DEFAULT 0,
    notified_at      BIGINT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, seq)
);

CREATE INDEX policy_publications_to_notify ON policy_publications (tenant_id) WHERE notified_at IS NULL;

-- Subjects who followed the one-click link of a notice: no more notices on that topic.
-- Rows go with the subject's purge after erasure.
CREATE TABLE notice_optouts (
    subject_seq  BIGINT NOT NULL,
    topic        TEXT    NOT NULL,
    tenant_id    TEXT    NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (subject_seq, topic)
);

-- A notice about a subject (not about a request) is sealed under that subject's data key:
-- erasing the subject makes a notice still waiting unreadable, and the purge removes it.
ALTER TABLE outbox ADD COLUMN subject_id TEXT;
CREATE INDEX outbox_by_subject ON outbox (tenant_id, subject_id);
