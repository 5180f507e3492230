#include "host/store/schema.h"

#include <string_view>
#include <utility>

namespace clickagg::store {

namespace {

// kMigrations[v] takes a database from version v to v + 1; {name} stands for one of the
// dialect's type names (TypeNames).
// counts: one row per non-zero (filter, ad, minute); the primary key serves per-ad range
// sums, counts_by_minute (covering) serves per-minute replacement and window scans.
// topn_lists records that a list exists (an empty one too) and the N it was cut at, so a
// reader can tell a complete short list from a truncated one.
constexpr std::string_view kMigrations[kSchemaVersion] = {
    R"sql(
CREATE TABLE counts (
  ad_id     {ad_id}  NOT NULL,
  minute    {bigint} NOT NULL,
  filter_id {int}    NOT NULL,
  count     {bigint} NOT NULL,
  PRIMARY KEY (filter_id, ad_id, minute)
){keyed};
CREATE INDEX counts_by_minute ON counts (minute, filter_id, ad_id{include}count);
CREATE TABLE topn (
  minute    {bigint} NOT NULL,
  "window"  {int}    NOT NULL,
  filter_id {int}    NOT NULL,
  rank      {int}    NOT NULL,
  ad_id     {ad_id}  NOT NULL,
  count     {bigint} NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, rank)
){keyed};
CREATE TABLE topn_lists (
  minute    {bigint} NOT NULL,
  "window"  {int}    NOT NULL,
  filter_id {int}    NOT NULL,
  top_n     {bigint} NOT NULL,
  PRIMARY KEY (minute, "window", filter_id)
){keyed};
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value {bigint} NOT NULL
){keyed};
CREATE TABLE filters (
  filter_id {int} PRIMARY KEY,
  name      TEXT NOT NULL
);
)sql",
    // Version 2: what the sink needs to commit a channel round in one transaction: each
    // producer's committed sequence number, events dropped late and rejected records (both
    // keyed by their Kafka position, so a replay rewrites the same rows).
    R"sql(
CREATE TABLE producer_seq (
  producer TEXT PRIMARY KEY,
  seq      {bigint} NOT NULL
){keyed};
CREATE TABLE late_events (
  kafka_partition {bigint} NOT NULL,
  kafka_offset    {bigint} NOT NULL,
  ad_id           {ad_id}  NOT NULL,
  event_time_ms   {bigint} NOT NULL,
  watermark_ms    {bigint} NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
){keyed};
CREATE TABLE rejects (
  kafka_partition {bigint} NOT NULL,
  kafka_offset    {bigint} NOT NULL,
  reason          TEXT     NOT NULL,
  record          {bytes}  NOT NULL,
  PRIMARY KEY (kafka_partition, kafka_offset)
){keyed};
)sql",
    // Version 3: results of single input partitions. topn_parts keeps each partition's latest
    // partial list, from which topn is re-merged; progress_parts keeps each partition's latest
    // counters (meta keys), from which meta's counters are re-summed.
    R"sql(
CREATE TABLE topn_parts (
  minute    {bigint} NOT NULL,
  "window"  {int}    NOT NULL,
  filter_id {int}    NOT NULL,
  part      {bigint} NOT NULL,
  rank      {int}    NOT NULL,
  ad_id     {ad_id}  NOT NULL,
  count     {bigint} NOT NULL,
  PRIMARY KEY (minute, "window", filter_id, part, rank)
){keyed};
CREATE TABLE progress_parts (
  part  {bigint} NOT NULL,
  key   TEXT     NOT NULL,
  value {bigint} NOT NULL,
  PRIMARY KEY (part, key)
){keyed};
)sql",
};

}  // namespace

std::string migration_sql(int version, const TypeNames& types) {
  const std::pair<std::string_view, const char*> names[] = {
      {"int", types.integer}, {"bigint", types.bigint}, {"ad_id", types.ad_id},
      {"bytes", types.bytes}, {"keyed", types.keyed},   {"include", types.include}};
  const std::string_view ddl = kMigrations[version];
  std::string out;
  size_t at = 0;
  for (size_t open; (open = ddl.find('{', at)) != std::string_view::npos;) {
    const size_t close = ddl.find('}', open);
    const std::string_view token = ddl.substr(open + 1, close - open - 1);
    out += ddl.substr(at, open - at);
    for (const auto& [name, type] : names)
      if (name == token) out += type;
    at = close + 1;
  }
  out += ddl.substr(at);
  return out;
}

}  // namespace clickagg::store
