-- omc-vc issuance store, PostgreSQL, version 1: credentials, status allocation, list state, offers.
-- Applied by `omc store migrate` into the institution's own schema (search_path is set to it).
-- Text columns that are ordered or compared (ids, times stored as YYYY-MM-DDTHH:MM:SSZ) use the "C"
-- collation, so they sort as the embedded SQLite store sorts them, whatever the database's locale.

CREATE TABLE lists (
    url TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    number INTEGER NOT NULL,
    bits INTEGER NOT NULL CHECK (bits > 0),
    used INTEGER NOT NULL DEFAULT 0,
    open BOOLEAN NOT NULL DEFAULT TRUE,
    -- the DID that signs the list; '' for the institution's own DID
    issuer TEXT NOT NULL DEFAULT '' COLLATE "C",
    version BIGINT NOT NULL DEFAULT 0,
    signed TEXT,
    signed_version BIGINT,
    signed_until TEXT COLLATE "C",
    UNIQUE (issuer, purpose, number)
);

-- every index ever given on a list, for good (Bitstring Status List v1.0 §6.1: never reused)
CREATE TABLE allocations (
    list_url TEXT NOT NULL REFERENCES lists (url),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    credential_id TEXT NOT NULL,
    PRIMARY KEY (list_url, idx)
);

CREATE TABLE reservations (
    credential_id TEXT PRIMARY KEY COLLATE "C",
    learner_key TEXT NOT NULL,
    achievement TEXT NOT NULL,
    slots TEXT NOT NULL,
    created TEXT NOT NULL COLLATE "C",
    UNIQUE (learner_key, achievement)
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY COLLATE "C",
    learner_key TEXT NOT NULL,
    learner_name TEXT NOT NULL,
    achievement TEXT NOT NULL,
    status_list TEXT,
    status_index INTEGER,
    suspension_list TEXT,
    suspension_index INTEGER,
    content_hash TEXT NOT NULL,
    file TEXT COLLATE "C",
    issued TEXT NOT NULL COLLATE "C",
    revoked TEXT COLLATE "C",
    suspended BOOLEAN NOT NULL DEFAULT FALSE,
    ref TEXT,
    document TEXT,
    UNIQUE (learner_key, achievement),
    UNIQUE (status_list, status_index),
    UNIQUE (suspension_list, suspension_index)
);
CREATE INDEX credentials_by_ref ON credentials (ref);
CREATE INDEX credentials_by_issued ON credentials (issued, id);

CREATE TABLE offers (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    achievement TEXT NOT NULL,
    learner_name TEXT NOT NULL,
    learner_email TEXT,
    student_number TEXT,
    created TEXT NOT NULL COLLATE "C",
    expires TEXT NOT NULL COLLATE "C",
    state TEXT NOT NULL CHECK (state IN ('open', 'redeemed', 'revoked')),
    redeemed_at TEXT COLLATE "C",
    holder TEXT,
    protocol TEXT,
    credential_id TEXT,
    revoked_at TEXT COLLATE "C",
    secret_hash TEXT NOT NULL UNIQUE,
    code_hash TEXT NOT NULL UNIQUE,
    tx_code_hash TEXT,
    tx_code_failures INTEGER NOT NULL DEFAULT 0,
    -- the completion date the credential will carry (YYYY-MM-DD; NULL: the day it is issued)
    completed TEXT
);

CREATE TABLE offer_nonces (
    hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    offer_id TEXT REFERENCES offers (id),
    expires TEXT NOT NULL COLLATE "C"
);

CREATE TABLE offer_tokens (
    hash TEXT PRIMARY KEY,
    offer_id TEXT NOT NULL REFERENCES offers (id),
    expires TEXT NOT NULL COLLATE "C"
);
