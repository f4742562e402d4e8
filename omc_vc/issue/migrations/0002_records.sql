-- omc-vc issuance store, PostgreSQL, version 2: the registrar's records (omc_vc.issue.records).
-- The same three tables as the embedded store's records, and each credential's learner name folded for
-- search (no accents, one case: omc_vc.issue.records.fold), written when the credential is recorded.

ALTER TABLE credentials ADD COLUMN name_folded TEXT;

-- per credential: the learner key it was issued under, the e-mail address's digest, the student number
CREATE TABLE record_learners (
    credential_id TEXT PRIMARY KEY,
    learner_key TEXT NOT NULL,
    email_digest TEXT,
    student_number TEXT
);
CREATE INDEX record_learners_by_key ON record_learners (learner_key);
CREATE INDEX record_learners_by_email ON record_learners (email_digest);
CREATE INDEX record_learners_by_student ON record_learners (student_number);

-- every status change with its time and the registrar's reason (never published)
CREATE TABLE status_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credential_id TEXT NOT NULL,
    at TEXT NOT NULL COLLATE "C",
    action TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX status_events_by_credential ON status_events (credential_id);
CREATE INDEX status_events_by_time ON status_events (at);

-- a credential and the one issued in its place (at most one per credential)
CREATE TABLE record_links (
    old_id TEXT PRIMARY KEY COLLATE "C",
    new_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL COLLATE "C"
);
CREATE INDEX record_links_by_new ON record_links (new_id);
