-- Settings of the server kept with its data: which form token digests are stored in
-- (`token_digests`), and, on PostgreSQL when no secret is given by the environment, the key
-- they are computed with (`token_key`, shared by every instance).
CREATE TABLE server_settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
