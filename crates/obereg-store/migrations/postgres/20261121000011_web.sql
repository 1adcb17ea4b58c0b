-- The admin console and the subject portal (issue 9, docs/web.md): staff accounts, browser
-- sessions and the one-time codes subjects sign in with.

-- A staff member who signs in to the console, bound to one catalog role (or `admin`).
-- `password` is an Argon2id PHC string; `totp` the second-factor secret sealed under the
-- tenant's web key (NULL: no second factor). Failed sign-ins are counted on the row and
-- lock it for a while, so guessing is slow across servers sharing one database.
CREATE TABLE staff_accounts (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    login           TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    password        TEXT    NOT NULL,
    totp            BYTEA,
    created_at      BIGINT NOT NULL,
    disabled_at     BIGINT,
    failed_sign_ins BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, login)
);

-- A signed-in browser. Only SHA-256 of the cookie's random value is kept: a copy of the
-- database opens no session. `kind` is `staff` (principal: a staff account id) or
-- `subject` (principal: the subject the verified address led to, `*` for several, empty
-- for none; `sealed`: that address, sealed under the tenant's portal key).
-- A session ends at `expires_at` (absolute) or when idle past its kind's limit.
CREATE TABLE web_sessions (
    id_hash       BYTEA    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('staff', 'subject')),
    principal     TEXT    NOT NULL,
    sealed        BYTEA,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE INDEX web_sessions_by_principal ON web_sessions (tenant_id, kind, principal);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

-- A one-time code a subject asked for to sign in to the portal. The address itself is kept
-- sealed (`sealed`, bound to the code's id); `contact` is its blind index for the rate
-- limit, `code_hash` a keyed hash of the code.
CREATE TABLE portal_codes (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    contact       TEXT    NOT NULL,
    code_hash     BYTEA    NOT NULL,
    sealed        BYTEA    NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    used_at       BIGINT,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX portal_codes_by_contact ON portal_codes (tenant_id, contact, created_at);
