-- A PostgreSQL database as a build at (PostgreSQL's own) schema version 2 left it: its
-- DDL as released, then rows the migration must keep.
CREATE TABLE counts (
  ad_id     TEXT COLLATE "C" NOT NULL,
  minute    BIGINT  NOT NULL,
  filter_id INTEGER NOT NULL,
  count     BIGINT  NOT NULL,
  PRIMARY KEY (filter_id, ad_id, minute)
);
CREATE INDEX counts_by_minute ON counts (minute, filter_id, ad_id) INCLUDE (count);
CREATE TABLE topn (
  minute    BIGINT  NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  rank      INTEGER NOT NULL,
  ad_id     TEXT COLLATE "C" NOT NULL,
  count     BIGINT  NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, rank)
);
CREATE TABLE topn_lists (
  minute    BIGINT  NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  top_n     BIGINT  NOT NULL,
  PRIMARY KEY (minute, "window", filter_id)
);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
CREATE TABLE filters (
  filter_id INTEGER PRIMARY KEY,
  name      TEXT NOT NULL
);
CREATE TABLE producer_seq (
  producer TEXT PRIMARY KEY,
  seq      BIGINT NOT NULL
);
CREATE TABLE late_events (
  kafka_partition BIGINT NOT NULL,
  kafka_offset    BIGINT NOT NULL,
  ad_id           TEXT COLLATE "C" NOT NULL,
  event_time_ms   BIGINT NOT NULL,
  watermark_ms    BIGINT NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE TABLE rejects (
  kafka_partition BIGINT NOT NULL,
  kafka_offset    BIGINT NOT NULL,
  reason          TEXT   NOT NULL,
  record          BYTEA  NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE TABLE topn_parts (
  minute    BIGINT  NOT NULL,
  "window"  INTEGER NOT NULL,
  filter_id INTEGER NOT NULL,
  part      BIGINT  NOT NULL,
  rank      INTEGER NOT NULL,
  ad_id     TEXT COLLATE "C" NOT NULL,
  count     BIGINT  NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, part, rank)
);
CREATE TABLE progress_parts (
  part  BIGINT NOT NULL,
  key   TEXT   NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (part, key)
);

INSERT INTO counts (ad_id, minute, filter_id, count) VALUES ('ad1', 7, 0, 3);
INSERT INTO topn (minute, "window", filter_id, rank, ad_id, count) VALUES (6, 1, 0, 1, 'ad1', 3);
INSERT INTO topn_lists (minute, "window", filter_id, top_n) VALUES (6, 1, 0, 3);
INSERT INTO meta (key, value) VALUES ('last_closed_minute', 7);
INSERT INTO filters (filter_id, name) VALUES (12, 'us');
INSERT INTO producer_seq (producer, seq) VALUES ('agg-0', 4);
INSERT INTO progress_parts (part, key, value) VALUES (0, 'events', 9);
CREATE TABLE clickagg_schema (version INTEGER NOT NULL);
INSERT INTO clickagg_schema (version) VALUES (2);
