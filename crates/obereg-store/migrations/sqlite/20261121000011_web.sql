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
    totp            BLOB,
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, login)
) STRICT, WITHOUT ROWID;

-- A signed-in browser. Only SHA-256 of the cookie's random value is kept: a copy of the
-- database opens no session. `kind` is `staff` (principal: a staff account id) or
-- `subject` (principal: the subject the verified address led to, `*` for several, empty
-- for none; `sealed`: that address, sealed under the tenant's portal key).
-- A session ends at `expires_at` (absolute) or when idle past its kind's limit.
CREATE TABLE web_sessions (
    id_hash       BLOB    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('staff', 'subject')),
    principal     TEXT    NOT NULL,
    sealed        BLOB,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX web_sessions_by_principal ON web_sessions (tenant_id, kind, principal);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

-- A one-time code a subject asked for to sign in to the portal. The address itself is kept
-- sealed (`sealed`, bound to the code's id); `contact` is its blind index for the rate
-- limit, `code_hash` a keyed hash of the code.
CREATE TABLE portal_codes (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    contact       TEXT    NOT NULL,
    code_hash     BLOB    NOT NULL,
    sealed        BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    used_at       INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX portal_codes_by_contact ON portal_codes (tenant_id, contact, created_at);
