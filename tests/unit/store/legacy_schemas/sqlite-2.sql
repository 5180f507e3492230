-- A SQLite database as a build at schema version 2 left it: its DDL as released, then
-- rows the migration must keep.
CREATE TABLE counts (
  ad_id     TEXT    NOT NULL,
  minute    INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (filter_id, ad_id, minute)
) WITHOUT ROWID;
CREATE INDEX counts_by_minute ON counts (minute, filter_id, ad_id, count);
CREATE TABLE topn (
  minute    INTEGER NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  rank      INTEGER NOT NULL,
  ad_id     TEXT    NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, rank)
) WITHOUT ROWID;
CREATE TABLE topn_lists (
  minute    INTEGER NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  top_n     INTEGER NOT NULL,
  PRIMARY KEY (minute, "window", filter_id)
) WITHOUT ROWID;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE filters (
  filter_id INTEGER PRIMARY KEY,
  name      TEXT NOT NULL
);
CREATE TABLE producer_seq (
  producer TEXT    PRIMARY KEY,
  seq      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE late_events (
  kafka_partition INTEGER NOT NULL,
  kafka_offset    INTEGER NOT NULL,
  ad_id           TEXT    NOT NULL,
  event_time_ms   INTEGER NOT NULL,
  watermark_ms    INTEGER NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
) WITHOUT ROWID;
CREATE TABLE rejects (
  kafka_partition INTEGER NOT NULL,
  kafka_offset    INTEGER NOT NULL,
  reason          TEXT    NOT NULL,
  record          BLOB    NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
) WITHOUT ROWID;

INSERT INTO counts (ad_id, minute, filter_id, count) VALUES ('ad1', 7, 0, 3);
INSERT INTO topn (minute, "window", filter_id, rank, ad_id, count) VALUES (6, 1, 0, 1, 'ad1', 3);
INSERT INTO topn_lists (minute, "window", filter_id, top_n) VALUES (6, 1, 0, 3);
INSERT INTO meta (key, value) VALUES ('last_closed_minute', 7);
INSERT INTO filters (filter_id, name) VALUES (12, 'us');
INSERT INTO producer_seq (producer, seq) VALUES ('agg-0', 4);
PRAGMA user_version = 2;
