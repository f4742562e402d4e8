-- omc-vc issuance store, PostgreSQL, version 3: the VC-API's requests made with an Idempotency-Key
-- (omc_vc.issue.pg_keys). Each key with the SHA-256 of its request's canonical form, the learner key its
-- credential is reserved and recorded under (achievement ''), and when it was claimed (the keys' expiry).

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY COLLATE "C",
    digest TEXT NOT NULL,
    learner_key TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL COLLATE "C"
);
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created);
