#include "host/store/postgres_store.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "host/store/pg_connection.h"
#include "host/store/postgres_schema.h"
#include "host/store/progress_keys.h"

namespace clickagg::store {

namespace {

using pg::Connection;
using pg::Params;
using pg::Result;
using pg::Transaction;

// Every statement of this backend, prepared once per connection: {name, SQL}. Rows of a
// result go in as arrays (unnest), one round trip per window or list rather than per row.
namespace sql {
struct Named {
  const char* name;
  const char* text;
};
constexpr Named kDeleteMinute{"delete_minute", "DELETE FROM counts WHERE minute = $1::bigint"};
constexpr Named kInsertCounts{
    "insert_counts",
    "INSERT INTO counts (ad_id, minute, filter_id, count) "
    "SELECT t.a, $1::bigint, t.f, t.c FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS t(a, f, c) "
    "WHERE t.c > 0 "
    "ON CONFLICT (filter_id, ad_id, minute) DO UPDATE SET count = EXCLUDED.count"};
constexpr Named kDeleteList{
    "delete_list",
    "DELETE FROM topn WHERE minute = $1::bigint AND \"window\" = $2::integer AND filter_id = $3::integer"};
constexpr Named kInsertList{
    "insert_list",
    "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
    "SELECT $1::bigint, $2::integer, $3::integer, t.r, t.a, t.c "
    "FROM unnest($4::text[], $5::bigint[]) WITH ORDINALITY AS t(a, c, r)"};
// Partial lists of single input partitions, and the merged list rebuilt from them: the top N
// of the union by count descending, then ad_id in byte order (COLLATE "C"). Partitions hold
// disjoint ads, so the union has each ad once and its top N is the exact global top N; SUM
// only guards the stored list against ever naming an ad twice.
constexpr Named kDeletePartList{
    "delete_part_list",
    "DELETE FROM topn_parts WHERE minute = $1::bigint AND \"window\" = $2::integer "
    "AND filter_id = $3::integer AND part = $4::bigint"};
constexpr Named kInsertPartList{
    "insert_part_list",
    "INSERT INTO topn_parts (minute, \"window\", filter_id, part, rank, ad_id, count) "
    "SELECT $1::bigint, $2::integer, $3::integer, $4::bigint, t.r, t.a, t.c "
    "FROM unnest($5::text[], $6::bigint[]) WITH ORDINALITY AS t(a, c, r)"};
constexpr Named kMergeList{
    "merge_list",
    "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
    "SELECT $1::bigint, $2::integer, $3::integer, row_number() OVER (ORDER BY total DESC, ad_id ASC), "
    "ad_id, total FROM ("
    "SELECT ad_id, SUM(count)::bigint AS total FROM topn_parts "
    "WHERE minute = $1::bigint AND \"window\" = $2::integer AND filter_id = $3::integer GROUP BY ad_id) s "
    "ORDER BY total DESC, ad_id ASC LIMIT $4::bigint"};
constexpr Named kUpsertList{
    "upsert_list",
    "INSERT INTO topn_lists (minute, \"window\", filter_id, top_n) "
    "VALUES ($1::bigint, $2::integer, $3::integer, $4::bigint) "
    "ON CONFLICT (minute, \"window\", filter_id) DO UPDATE SET top_n = EXCLUDED.top_n"};
constexpr Named kSetMeta{"set_meta",
                         "INSERT INTO meta (key, value) VALUES ($1::text, $2::bigint) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"};
constexpr Named kAdvanceMeta{"advance_meta",
                             "INSERT INTO meta (key, value) VALUES ($1::text, $2::bigint) "
                             "ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value, EXCLUDED.value)"};
// Counters of single input partitions, and meta's counters re-summed over them.
constexpr Named kDeletePartProgress{"delete_part_progress",
                                    "DELETE FROM progress_parts WHERE part = $1::bigint"};
constexpr Named kInsertPartProgress{
    "insert_part_progress",
    "INSERT INTO progress_parts (part, key, value) VALUES ($1::bigint, $2::text, $3::bigint)"};
constexpr Named kSumPartProgress{
    "sum_part_progress",
    "INSERT INTO meta (key, value) SELECT key, SUM(value)::bigint FROM progress_parts GROUP BY key "
    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"};
constexpr Named kUpsertLate{
    "upsert_late",
    "INSERT INTO late_events (kafka_partition, kafka_offset, ad_id, event_time_ms, watermark_ms) "
    "VALUES ($1::bigint, $2::bigint, $3::text, $4::bigint, $5::bigint) "
    "ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET ad_id = EXCLUDED.ad_id, "
    "event_time_ms = EXCLUDED.event_time_ms, watermark_ms = EXCLUDED.watermark_ms"};
constexpr Named kUpsertReject{
    "upsert_reject",
    "INSERT INTO rejects (kafka_partition, kafka_offset, reason, record) "
    "VALUES ($1::bigint, $2::bigint, $3::text, $4::bytea) "
    "ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET reason = EXCLUDED.reason, "
    "record = EXCLUDED.record"};
constexpr Named kAdvanceProducerSeq{
    "advance_producer_seq",
    "INSERT INTO producer_seq (producer, seq) VALUES ($1::text, $2::bigint) "
    "ON CONFLICT (producer) DO UPDATE SET seq = GREATEST(producer_seq.seq, EXCLUDED.seq)"};
constexpr Named kInsertFilter{"insert_filter",
                              "INSERT INTO filters (filter_id, name) VALUES ($1::integer, $2::text)"};

constexpr Named kAggregatedCount{
    "aggregated_count",
    "SELECT COALESCE(SUM(count), 0) FROM counts "
    "WHERE filter_id = $1::integer AND ad_id = $2::text AND minute >= $3::bigint AND minute < $4::bigint"};
// One statement, one snapshot: the header and its entries are seen together.
constexpr Named kList{
    "list",
    "SELECT l.top_n, t.ad_id, t.count FROM topn_lists l "
    "LEFT JOIN topn t ON t.minute = l.minute AND t.\"window\" = l.\"window\" AND t.filter_id = l.filter_id "
    "WHERE l.minute = $1::bigint AND l.\"window\" = $2::integer AND l.filter_id = $3::integer "
    "ORDER BY t.rank"};
// ad_id is COLLATE "C": byte order, the order the engines rank ties by.
constexpr Named kTopBySum{
    "top_by_sum",
    "SELECT ad_id, SUM(count) AS total FROM counts "
    "WHERE minute >= $1::bigint AND minute <= $2::bigint AND filter_id = $3::integer "
    "GROUP BY ad_id HAVING SUM(count) > 0 ORDER BY total DESC, ad_id ASC LIMIT $4::bigint"};
// Both ranges of the primary keys: (filter_id, ad_id, minute) and (minute, "window", ...).
constexpr Named kMinuteCounts{
    "minute_counts",
    "SELECT minute, count FROM counts "
    "WHERE filter_id = $1::integer AND ad_id = $2::text AND minute >= $3::bigint AND minute < $4::bigint "
    "ORDER BY minute"};
constexpr Named kTopnWindows{
    "topn_windows",
    "SELECT DISTINCT \"window\" FROM topn_lists WHERE minute = $1::bigint ORDER BY \"window\""};
constexpr Named kReadMeta{"read_meta", "SELECT key, value FROM meta"};
constexpr Named kReadFilters{"read_filters", "SELECT filter_id, name FROM filters ORDER BY filter_id"};
constexpr Named kCommittedSeq{"committed_seq", "SELECT seq FROM producer_seq WHERE producer = $1::text"};
// A range of counts_by_minute; ad_id is COLLATE "C", so the order is byte order.
constexpr const char* kCountRows =
    "SELECT minute, filter_id, ad_id, count FROM counts WHERE minute >= $1::bigint AND minute < $2::bigint "
    "ORDER BY minute, filter_id, ad_id";

constexpr Named kWriterStatements[] = {
    kDeleteMinute,      kInsertCounts,       kDeleteList,         kInsertList,
    kDeletePartList,    kInsertPartList,     kMergeList,          kUpsertList,
    kDeletePartProgress, kInsertPartProgress, kSumPartProgress,    kSetMeta,
    kAdvanceMeta,       kUpsertLate,         kUpsertReject,       kAdvanceProducerSeq,
    kInsertFilter};
constexpr Named kReaderStatements[] = {kAggregatedCount, kList,        kTopBySum,
                                       kMinuteCounts,    kTopnWindows, kReadMeta,
                                       kReadFilters,     kCommittedSeq};
}  // namespace sql

int64_t to_db(uint64_t v) {
  if (v > static_cast<uint64_t>(INT64_MAX)) throw StoreError("value exceeds the database range");
  return static_cast<int64_t>(v);
}

class PostgresStore final : public AggregateStore {
 public:
  PostgresStore(const std::string& uri, OpenMode mode) : conn_(uri), writer_(mode == OpenMode::Writer) {
    if (writer_)
      pg::prepare_writer(conn_);
    else
      pg::check_reader(conn_);
    prepare_all();
  }

  void write(const ResultBatch& batch) override {
    if (batch.empty()) return;
    require_writer();
    std::optional<int64_t> closed;
    auto advance = [&closed](int64_t m) { closed = closed ? std::max(*closed, m) : m; };

    Transaction tx(conn_);
    for (const WindowResult& win : batch.windows) {
      // A result carries the complete minute: delete-then-insert makes a correction or a
      // replay leave exactly the newest rows. A partition's share only upserts: the other
      // partitions' rows of the minute stay, and its own rows only grow.
      if (!win.partition) conn_.run(sql::kDeleteMinute.name, Params().integer(win.minute));
      if (!win.rows.empty()) {
        std::vector<std::string_view> ads;
        std::vector<int64_t> filters, counts;
        for (const CountRow& row : win.rows) {
          ads.push_back(win.ad_id(row));
          filters.push_back(row.filter_id);
          counts.push_back(to_db(row.count));
        }
        conn_.run(sql::kInsertCounts.name, Params()
                                               .integer(win.minute)
                                               .literal(pg::text_array(ads))
                                               .literal(pg::int_array(filters))
                                               .literal(pg::int_array(counts)));
      }
      if (!win.correction) advance(win.minute);
    }
    for (const TopNList& list : batch.topn) {
      if (list.partition) {
        write_partial_list(list, list.top_n ? list.top_n : batch.top_n);
      } else {
        write_list(list);
      }
      conn_.run(sql::kUpsertList.name,
                Params().integer(list.minute).integer(list.window).integer(list.filter_id).integer(list.top_n ? list.top_n : batch.top_n));
      if (!list.correction) advance(list.minute);
    }
    if (batch.progress) {
      const Progress& p = *batch.progress;
      for (const auto& [key, field] : kCounterKeys)
        conn_.run(sql::kSetMeta.name, Params().text(key).integer(to_db(p.*field)));
      if (p.last_closed_minute) advance(*p.last_closed_minute);
      if (p.consumer_lag) conn_.run(sql::kSetMeta.name, Params().text(kConsumerLagKey).integer(*p.consumer_lag));
    }
    for (const auto& [part, p] : batch.partition_progress) {
      conn_.run(sql::kDeletePartProgress.name, Params().integer(part));
      for (const auto& [key, field] : kCounterKeys)
        conn_.run(sql::kInsertPartProgress.name, Params().integer(part).text(key).integer(to_db(p.*field)));
      if (p.consumer_lag)
        conn_.run(sql::kInsertPartProgress.name, Params().integer(part).text(kConsumerLagKey).integer(*p.consumer_lag));
      if (p.last_closed_minute) advance(*p.last_closed_minute);
    }
    if (!batch.partition_progress.empty()) conn_.run(sql::kSumPartProgress.name, Params());
    if (closed) conn_.run(sql::kAdvanceMeta.name, Params().text(kLastClosedMinuteKey).integer(*closed));
    for (const LateRecord& r : batch.late)
      conn_.run(sql::kUpsertLate.name, Params()
                                           .integer(r.partition)
                                           .integer(to_db(r.position))
                                           .text(r.ad_id)
                                           .integer(r.t_ms)
                                           .integer(r.watermark_ms));
    for (const RejectEntry& r : batch.rejects)
      conn_.run(sql::kUpsertReject.name,
                Params().integer(r.partition).integer(to_db(r.offset)).text(r.reason).text(r.record));
    for (const auto& [producer, seq] : batch.producer_seqs)
      conn_.run(sql::kAdvanceProducerSeq.name, Params().text(producer).integer(to_db(seq)));
    tx.commit();
  }

  void set_filters(const std::vector<FilterInfo>& filters) override {
    require_writer();
    Transaction tx(conn_);
    conn_.exec("DELETE FROM filters");
    for (const FilterInfo& f : filters) conn_.run(sql::kInsertFilter.name, Params().integer(f.id).text(f.name));
    tx.commit();
  }

  uint64_t aggregated_count(std::string_view ad_id, int64_t from_minute, int64_t to_minute,
                            uint16_t filter_id) override {
    Result r = read(sql::kAggregatedCount, Params().integer(filter_id).text(ad_id).integer(from_minute).integer(to_minute));
    return r.rows() ? r.uint64(0, 0) : 0;
  }

  std::optional<StoredList> topn_list(int64_t minute, uint32_t window, uint16_t filter_id) override {
    Result r = read(sql::kList, Params().integer(minute).integer(window).integer(filter_id));
    if (r.rows() == 0) return std::nullopt;
    StoredList list;
    list.top_n = static_cast<uint32_t>(std::clamp<int64_t>(r.int64(0, 0), 0, UINT32_MAX));
    for (int i = 0; i < r.rows(); ++i)
      if (!r.is_null(i, 1)) list.entries.push_back(NamedEntry{std::string(r.text(i, 1)), r.uint64(i, 2)});
    return list;
  }

  std::vector<NamedEntry> top_by_sum(int64_t first_minute, int64_t last_minute, uint16_t filter_id,
                                    uint32_t limit) override {
    std::vector<NamedEntry> out;
    if (limit == 0 || first_minute > last_minute) return out;
    Result r = read(sql::kTopBySum, Params().integer(first_minute).integer(last_minute).integer(filter_id).integer(limit));
    for (int i = 0; i < r.rows(); ++i) out.push_back(NamedEntry{std::string(r.text(i, 0)), r.uint64(i, 1)});
    return out;
  }

  std::vector<MinuteCount> minute_counts(std::string_view ad_id, int64_t from_minute, int64_t to_minute,
                                         uint16_t filter_id) override {
    Result r = read(sql::kMinuteCounts, Params().integer(filter_id).text(ad_id).integer(from_minute).integer(to_minute));
    std::vector<MinuteCount> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(MinuteCount{r.int64(i, 0), r.uint64(i, 1)});
    return out;
  }

  std::vector<uint32_t> topn_windows(int64_t minute) override {
    Result r = read(sql::kTopnWindows, Params().integer(minute));
    std::vector<uint32_t> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(static_cast<uint32_t>(std::clamp<int64_t>(r.int64(i, 0), 0, UINT32_MAX)));
    return out;
  }

  Progress progress() override { return progress_from_meta(meta_rows()); }

  void record_reconcile(const ReconcileStatus& status) override {
    require_writer();
    Transaction tx(conn_);
    for (const auto& [key, field] : kReconcileKeys)
      conn_.run(sql::kSetMeta.name, Params().text(key).integer(status.*field));
    for (const auto& [key, field] : kReconcileCounterKeys)
      conn_.run(sql::kSetMeta.name, Params().text(key).integer(to_db(status.*field)));
    tx.commit();
  }

  std::optional<ReconcileStatus> last_reconcile() override { return reconcile_from_meta(meta_rows()); }

  std::vector<FilterInfo> filters() override {
    std::vector<FilterInfo> out;
    Result r = read(sql::kReadFilters, Params());
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(FilterInfo{static_cast<uint16_t>(r.int64(i, 0)), std::string(r.text(i, 1))});
    return out;
  }

  uint64_t committed_seq(const std::string& producer) override {
    Result r = read(sql::kCommittedSeq, Params().text(producer));
    return r.rows() ? r.uint64(0, 0) : 0;
  }

  std::vector<WindowResult> count_rows(int64_t from_minute, int64_t to_minute) override {
    // Rare (recounts): an unnamed statement rather than one prepared on every connection.
    if (conn_.reconnect_if_broken()) prepare_all();
    Result r = conn_.query(sql::kCountRows, Params().integer(from_minute).integer(to_minute));
    std::vector<WindowResult> out;
    std::shared_ptr<AdNames> names;
    for (int i = 0; i < r.rows(); ++i) {
      const int64_t minute = r.int64(i, 0);
      if (out.empty() || out.back().minute != minute) {
        names = std::make_shared<AdNames>();
        out.push_back(WindowResult{minute, false, {}, names});
      }
      out.back().rows.push_back(CountRow{names->add(r.text(i, 2)), static_cast<uint16_t>(r.int64(i, 1)), r.uint64(i, 3)});
    }
    return out;
  }

 private:
  // Replaces the stored list of the key (an unpartitioned list covers every partition).
  void write_list(const TopNList& list) {
    conn_.run(sql::kDeleteList.name, Params().integer(list.minute).integer(list.window).integer(list.filter_id));
    if (list.entries.empty()) return;
    auto [ads, counts] = entry_arrays(list);
    conn_.run(sql::kInsertList.name, Params()
                                         .integer(list.minute)
                                         .integer(list.window)
                                         .integer(list.filter_id)
                                         .literal(std::move(ads))
                                         .literal(std::move(counts)));
  }

  // Replaces one partition's partial list, then rebuilds the merged list from every
  // partition's latest one (within the caller's transaction).
  void write_partial_list(const TopNList& list, uint32_t top_n) {
    const int64_t part = *list.partition;
    conn_.run(sql::kDeletePartList.name,
              Params().integer(list.minute).integer(list.window).integer(list.filter_id).integer(part));
    if (!list.entries.empty()) {
      auto [ads, counts] = entry_arrays(list);
      conn_.run(sql::kInsertPartList.name, Params()
                                               .integer(list.minute)
                                               .integer(list.window)
                                               .integer(list.filter_id)
                                               .integer(part)
                                               .literal(std::move(ads))
                                               .literal(std::move(counts)));
    }
    conn_.run(sql::kDeleteList.name, Params().integer(list.minute).integer(list.window).integer(list.filter_id));
    // N unknown (0): keep the whole union.
    conn_.run(sql::kMergeList.name, Params()
                                        .integer(list.minute)
                                        .integer(list.window)
                                        .integer(list.filter_id)
                                        .integer(top_n > 0 ? int64_t{top_n} : INT64_MAX));
  }

  // A list's entries as array literals: (ad ids, counts).
  static std::pair<std::string, std::string> entry_arrays(const TopNList& list) {
    std::vector<std::string_view> ads;
    std::vector<int64_t> counts;
    for (const TopNEntry& e : list.entries) {
      ads.push_back(list.ad_id(e));
      counts.push_back(to_db(e.count));
    }
    return {pg::text_array(ads), pg::int_array(counts)};
  }

  void prepare_all() {
    if (writer_)
      for (const auto& s : sql::kWriterStatements) conn_.prepare(s.name, s.text);
    for (const auto& s : sql::kReaderStatements) conn_.prepare(s.name, s.text);
  }

  // Outside a transaction a lost connection is repaired before the next statement; inside
  // one the statement fails and the caller retries the whole transaction.
  Result read(const sql::Named& st, const Params& params) {
    if (conn_.reconnect_if_broken()) prepare_all();
    return conn_.run(st.name, params);
  }

  MetaRows meta_rows() {
    MetaRows rows;
    Result r = read(sql::kReadMeta, Params());
    for (int i = 0; i < r.rows(); ++i) rows.emplace_back(std::string(r.text(i, 0)), r.int64(i, 1));
    return rows;
  }

  void require_writer() {
    if (!writer_) throw StoreError("database " + conn_.where() + " was opened for reading");
    if (conn_.reconnect_if_broken()) prepare_all();
  }

  Connection conn_;
  bool writer_;
};

}  // namespace

std::unique_ptr<AggregateStore> open_postgres_store(const std::string& uri, OpenMode mode) {
  return std::make_unique<PostgresStore>(uri, mode);
}

std::vector<NamedQuery> postgres_read_queries() {
  std::vector<NamedQuery> out;
  for (const auto& s : {sql::kAggregatedCount, sql::kList, sql::kTopBySum, sql::kMinuteCounts,
                        sql::kTopnWindows, sql::kReadMeta, sql::kReadFilters})
    out.push_back({s.name, s.text});
  return out;
}

}  // namespace clickagg::store
