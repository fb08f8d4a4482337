-- Requests counted per rate-limit key and minute (since the epoch), summed over every instance that
-- shares the database (PostgreSQL); each instance adds what it counted every half second.
CREATE TABLE rate_limit_counts (
    key    TEXT   NOT NULL,
    minute BIGINT NOT NULL,
    count  BIGINT NOT NULL,
    PRIMARY KEY (key, minute)
);
