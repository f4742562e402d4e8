-- omc-vc hosted shares, PostgreSQL, version 1 (omc_vc.web.pg_shares): short-mode shares and the single-use
-- challenges of the holder presentations that create them, shared by every `omc serve` process on the
-- database. A share keeps the SHA-256 of its withdraw token, never the token; a challenge is kept by its
-- SHA-256 too. Times are instants (timestamptz); size is the credential's length as JSON, for the store's
-- byte cap.

CREATE TABLE hosted_shares (
    id TEXT PRIMARY KEY COLLATE "C",
    credential TEXT NOT NULL,
    size INTEGER NOT NULL,
    holder TEXT COLLATE "C",
    expires TIMESTAMPTZ NOT NULL,
    token_hash TEXT NOT NULL
);
CREATE INDEX hosted_shares_by_expires ON hosted_shares (expires);
CREATE INDEX hosted_shares_by_holder ON hosted_shares (holder);

CREATE TABLE share_challenges (
    challenge_hash TEXT PRIMARY KEY COLLATE "C",
    expires TIMESTAMPTZ NOT NULL
);
CREATE INDEX share_challenges_by_expires ON share_challenges (expires);
