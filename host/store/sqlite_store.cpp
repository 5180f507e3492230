#include "host/store/sqlite_store.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "host/store/progress_keys.h"
#include "host/store/sqlite_connection.h"
#include "host/store/sqlite_schema.h"

namespace clickagg::store {

namespace {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

// All SQL of this backend is here; another backend keeps its own dialect the same way.
namespace sql {
constexpr const char* kDeleteMinute = "DELETE FROM counts WHERE minute = ?1";
constexpr const char* kUpsertCount =
    "INSERT INTO counts (ad_id, minute, filter_id, count) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (filter_id, ad_id, minute) DO UPDATE SET count = excluded.count";
constexpr const char* kDeleteList =
    "DELETE FROM topn WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3";
constexpr const char* kInsertListEntry =
    "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
// Partial lists of single input partitions, and the merged list rebuilt from them: the top N
// of the union by count descending, then ad_id in byte order (BINARY collation). Partitions
// hold disjoint ads, so the union has each ad once and its top N is the exact global top N;
// SUM only guards the stored list against ever naming an ad twice.
constexpr const char* kDeletePartList =
    "DELETE FROM topn_parts WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3 AND part = ?4";
constexpr const char* kInsertPartEntry =
    "INSERT INTO topn_parts (minute, \"window\", filter_id, part, rank, ad_id, count) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kMergeList =
    "INSERT INTO topn (minute, \"window\", filter_id, rank, ad_id, count) "
    "SELECT ?1, ?2, ?3, row_number() OVER (ORDER BY total DESC, ad_id ASC), ad_id, total FROM ("
    "SELECT ad_id, SUM(count) AS total FROM topn_parts "
    "WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3 GROUP BY ad_id) "
    "ORDER BY total DESC, ad_id ASC LIMIT ?4";
constexpr const char* kUpsertList =
    "INSERT INTO topn_lists (minute, \"window\", filter_id, top_n) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (minute, \"window\", filter_id) DO UPDATE SET top_n = excluded.top_n";
constexpr const char* kSetMeta =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr const char* kAdvanceMeta =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)";
// Counters of single input partitions, and meta's counters re-summed over them. (WHERE true:
// SQLite's documented way to keep an INSERT ... SELECT followed by ON CONFLICT unambiguous.)
constexpr const char* kDeletePartProgress = "DELETE FROM progress_parts WHERE part = ?1";
constexpr const char* kInsertPartProgress =
    "INSERT INTO progress_parts (part, key, value) VALUES (?1, ?2, ?3)";
constexpr const char* kSumPartProgress =
    "INSERT INTO meta (key, value) SELECT key, SUM(value) FROM progress_parts WHERE true "
    "GROUP BY key ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr const char* kDeleteFilters = "DELETE FROM filters";
constexpr const char* kInsertFilter = "INSERT INTO filters (filter_id, name) VALUES (?1, ?2)";
constexpr const char* kUpsertLate =
    "INSERT INTO late_events (kafka_partition, kafka_offset, ad_id, event_time_ms, watermark_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET "
    "ad_id = excluded.ad_id, event_time_ms = excluded.event_time_ms, "
    "watermark_ms = excluded.watermark_ms";
constexpr const char* kUpsertReject =
    "INSERT INTO rejects (kafka_partition, kafka_offset, reason, record) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (kafka_partition, kafka_offset) DO UPDATE SET "
    "reason = excluded.reason, record = excluded.record";
constexpr const char* kAdvanceProducerSeq =
    "INSERT INTO producer_seq (producer, seq) VALUES (?1, ?2) "
    "ON CONFLICT (producer) DO UPDATE SET seq = max(seq, excluded.seq)";

constexpr const char* kAggregatedCount =
    "SELECT COALESCE(SUM(count), 0) FROM counts "
    "WHERE filter_id = ?1 AND ad_id = ?2 AND minute >= ?3 AND minute < ?4";
constexpr const char* kListHeader =
    "SELECT top_n FROM topn_lists WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3";
constexpr const char* kListEntries =
    "SELECT ad_id, count FROM topn WHERE minute = ?1 AND \"window\" = ?2 AND filter_id = ?3 "
    "ORDER BY rank";
// ad_id uses the BINARY collation: memcmp order, the byte order the engines rank by.
constexpr const char* kTopBySum =
    "SELECT ad_id, SUM(count) AS total FROM counts "
    "WHERE minute >= ?1 AND minute <= ?2 AND filter_id = ?3 "
    "GROUP BY ad_id HAVING total > 0 ORDER BY total DESC, ad_id ASC LIMIT ?4";
// Both ranges of the primary keys: (filter_id, ad_id, minute) and (minute, "window", ...).
constexpr const char* kMinuteCounts =
    "SELECT minute, count FROM counts "
    "WHERE filter_id = ?1 AND ad_id = ?2 AND minute >= ?3 AND minute < ?4 ORDER BY minute";
constexpr const char* kTopnWindows =
    "SELECT DISTINCT \"window\" FROM topn_lists WHERE minute = ?1 ORDER BY \"window\"";
constexpr const char* kReadMeta = "SELECT key, value FROM meta";
constexpr const char* kReadFilters = "SELECT filter_id, name FROM filters ORDER BY filter_id";
constexpr const char* kCommittedSeq = "SELECT seq FROM producer_seq WHERE producer = ?1";
// Served by counts_by_minute (covering): one range scan in (minute, filter_id, ad_id) order.
constexpr const char* kCountRows =
    "SELECT minute, filter_id, ad_id, count FROM counts WHERE minute >= ?1 AND minute < ?2 "
    "ORDER BY minute, filter_id, ad_id";
}  // namespace sql

int64_t to_db(uint64_t v) {
  if (v > static_cast<uint64_t>(INT64_MAX)) throw StoreError("count exceeds the database range");
  return static_cast<int64_t>(v);
}
uint64_t from_db(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }

// Statements a writer needs; prepared only by writers, since preparing them on a reader
// connection would be wasted work.
struct WriteStatements {
  explicit WriteStatements(Connection& c)
      : delete_minute(c, sql::kDeleteMinute),
        upsert_count(c, sql::kUpsertCount),
        delete_list(c, sql::kDeleteList),
        insert_list_entry(c, sql::kInsertListEntry),
        delete_part_list(c, sql::kDeletePartList),
        insert_part_entry(c, sql::kInsertPartEntry),
        merge_list(c, sql::kMergeList),
        upsert_list(c, sql::kUpsertList),
        delete_part_progress(c, sql::kDeletePartProgress),
        insert_part_progress(c, sql::kInsertPartProgress),
        sum_part_progress(c, sql::kSumPartProgress),
        set_meta(c, sql::kSetMeta),
        advance_meta(c, sql::kAdvanceMeta),
        delete_filters(c, sql::kDeleteFilters),
        insert_filter(c, sql::kInsertFilter),
        upsert_late(c, sql::kUpsertLate),
        upsert_reject(c, sql::kUpsertReject),
        advance_producer_seq(c, sql::kAdvanceProducerSeq) {}
  Statement delete_minute, upsert_count, delete_list, insert_list_entry, delete_part_list,
      insert_part_entry, merge_list, upsert_list, delete_part_progress, insert_part_progress,
      sum_part_progress, set_meta, advance_meta, delete_filters, insert_filter, upsert_late,
      upsert_reject, advance_producer_seq;
};

struct ReadStatements {
  explicit ReadStatements(Connection& c)
      : aggregated_count(c, sql::kAggregatedCount),
        list_header(c, sql::kListHeader),
        list_entries(c, sql::kListEntries),
        top_by_sum(c, sql::kTopBySum),
        minute_counts(c, sql::kMinuteCounts),
        topn_windows(c, sql::kTopnWindows),
        read_meta(c, sql::kReadMeta),
        read_filters(c, sql::kReadFilters),
        committed_seq(c, sql::kCommittedSeq) {}
  Statement aggregated_count, list_header, list_entries, top_by_sum, minute_counts, topn_windows,
      read_meta, read_filters, committed_seq;
};

class SqliteStore final : public AggregateStore {
 public:
  SqliteStore(const std::string& path, OpenMode mode)
      : conn_(path, /*create=*/mode == OpenMode::Writer, /*read_only=*/false) {
    if (mode == OpenMode::Writer) {
      sqlite::prepare_writer(conn_);
      write_ = std::make_unique<WriteStatements>(conn_);
    } else {
      // Read-write handle with query_only: a read-only handle cannot create the WAL index
      // when it is the first connection on the file.
      conn_.exec("PRAGMA query_only=1");
      sqlite::check_reader(conn_);
    }
    read_ = std::make_unique<ReadStatements>(conn_);
  }

  void write(const ResultBatch& batch) override {
    if (batch.empty()) return;
    WriteStatements& w = writer();
    std::optional<int64_t> closed;
    auto advance = [&closed](int64_t m) { closed = closed ? std::max(*closed, m) : m; };

    Transaction tx(conn_);
    for (const WindowResult& win : batch.windows) {
      // A result carries the complete minute: delete-then-insert makes a correction or a
      // replay leave exactly the newest rows. A partition's share only upserts: the other
      // partitions' rows of the minute stay, and its own rows only grow.
      if (!win.partition) w.delete_minute.bind(1, win.minute).run();
      for (const CountRow& row : win.rows) {
        if (row.count == 0) continue;
        w.upsert_count.bind(1, win.ad_id(row)).bind(2, win.minute).bind(3, row.filter_id)
            .bind(4, to_db(row.count)).run();
      }
      if (!win.correction) advance(win.minute);
    }
    for (const TopNList& list : batch.topn) {
      if (list.partition) {
        write_partial_list(w, list, list.top_n ? list.top_n : batch.top_n);
      } else {
        w.delete_list.bind(1, list.minute).bind(2, list.window).bind(3, list.filter_id).run();
        int64_t rank = 0;
        for (const TopNEntry& e : list.entries)
          w.insert_list_entry.bind(1, list.minute).bind(2, list.window).bind(3, list.filter_id)
              .bind(4, ++rank).bind(5, list.ad_id(e)).bind(6, to_db(e.count)).run();
      }
      w.upsert_list.bind(1, list.minute).bind(2, list.window).bind(3, list.filter_id)
          .bind(4, list.top_n ? list.top_n : batch.top_n).run();
      if (!list.correction) advance(list.minute);
    }
    if (batch.progress) {
      const Progress& p = *batch.progress;
      for (const auto& [key, field] : kCounterKeys)
        w.set_meta.bind(1, key).bind(2, to_db(p.*field)).run();
      if (p.last_closed_minute) advance(*p.last_closed_minute);
      if (p.consumer_lag) w.set_meta.bind(1, kConsumerLagKey).bind(2, *p.consumer_lag).run();
    }
    for (const auto& [part, p] : batch.partition_progress) {
      w.delete_part_progress.bind(1, part).run();
      for (const auto& [key, field] : kCounterKeys)
        w.insert_part_progress.bind(1, part).bind(2, key).bind(3, to_db(p.*field)).run();
      if (p.consumer_lag)
        w.insert_part_progress.bind(1, part).bind(2, kConsumerLagKey).bind(3, *p.consumer_lag).run();
      if (p.last_closed_minute) advance(*p.last_closed_minute);
    }
    if (!batch.partition_progress.empty()) w.sum_part_progress.run();
    if (closed) w.advance_meta.bind(1, kLastClosedMinuteKey).bind(2, *closed).run();
    for (const LateRecord& r : batch.late)
      w.upsert_late.bind(1, r.partition).bind(2, to_db(r.position)).bind(3, r.ad_id)
          .bind(4, r.t_ms).bind(5, r.watermark_ms).run();
    for (const RejectEntry& r : batch.rejects)
      w.upsert_reject.bind(1, r.partition).bind(2, to_db(r.offset)).bind(3, r.reason)
          .bind_blob(4, r.record).run();
    for (const auto& [producer, seq] : batch.producer_seqs)
      w.advance_producer_seq.bind(1, producer).bind(2, to_db(seq)).run();
    tx.commit();
  }

  void set_filters(const std::vector<FilterInfo>& filters) override {
    WriteStatements& w = writer();
    Transaction tx(conn_);
    w.delete_filters.run();
    for (const FilterInfo& f : filters) w.insert_filter.bind(1, f.id).bind(2, f.name).run();
    tx.commit();
  }

  uint64_t aggregated_count(std::string_view ad_id, int64_t from_minute, int64_t to_minute,
                            uint16_t filter_id) override {
    Statement& st = read_->aggregated_count;
    st.bind(1, filter_id).bind(2, ad_id).bind(3, from_minute).bind(4, to_minute);
    const uint64_t total = st.step() ? from_db(st.column_int(0)) : 0;
    st.reset();
    return total;
  }

  std::optional<StoredList> topn_list(int64_t minute, uint32_t window,
                                      uint16_t filter_id) override {
    // Header and entries in one read transaction, so a concurrent replacement is seen whole.
    ReadSnapshot snap(conn_);
    Statement& head = read_->list_header;
    head.bind(1, minute).bind(2, window).bind(3, filter_id);
    if (!head.step()) return std::nullopt;
    StoredList list;
    list.top_n = static_cast<uint32_t>(std::clamp<int64_t>(head.column_int(0), 0, UINT32_MAX));
    head.reset();
    Statement& rows = read_->list_entries;
    rows.bind(1, minute).bind(2, window).bind(3, filter_id);
    while (rows.step())
      list.entries.push_back(NamedEntry{rows.column_text(0), from_db(rows.column_int(1))});
    return list;
  }

  std::vector<NamedEntry> top_by_sum(int64_t first_minute, int64_t last_minute,
                                    uint16_t filter_id, uint32_t limit) override {
    std::vector<NamedEntry> out;
    if (limit == 0 || first_minute > last_minute) return out;
    Statement& st = read_->top_by_sum;
    st.bind(1, first_minute).bind(2, last_minute).bind(3, filter_id).bind(4, limit);
    while (st.step()) out.push_back(NamedEntry{st.column_text(0), from_db(st.column_int(1))});
    return out;
  }

  std::vector<MinuteCount> minute_counts(std::string_view ad_id, int64_t from_minute,
                                         int64_t to_minute, uint16_t filter_id) override {
    std::vector<MinuteCount> out;
    Statement& st = read_->minute_counts;
    st.bind(1, filter_id).bind(2, ad_id).bind(3, from_minute).bind(4, to_minute);
    while (st.step()) out.push_back(MinuteCount{st.column_int(0), from_db(st.column_int(1))});
    return out;
  }

  std::vector<uint32_t> topn_windows(int64_t minute) override {
    std::vector<uint32_t> out;
    Statement& st = read_->topn_windows;
    st.bind(1, minute);
    while (st.step())
      out.push_back(static_cast<uint32_t>(std::clamp<int64_t>(st.column_int(0), 0, UINT32_MAX)));
    return out;
  }

  Progress progress() override { return progress_from_meta(meta_rows()); }

  void record_reconcile(const ReconcileStatus& status) override {
    WriteStatements& w = writer();
    Transaction tx(conn_);
    for (const auto& [key, field] : kReconcileKeys) w.set_meta.bind(1, key).bind(2, status.*field).run();
    for (const auto& [key, field] : kReconcileCounterKeys)
      w.set_meta.bind(1, key).bind(2, to_db(status.*field)).run();
    tx.commit();
  }

  std::optional<ReconcileStatus> last_reconcile() override { return reconcile_from_meta(meta_rows()); }

  uint64_t committed_seq(const std::string& producer) override {
    Statement& st = read_->committed_seq;
    st.bind(1, producer);
    const uint64_t seq = st.step() ? from_db(st.column_int(0)) : 0;
    st.reset();
    return seq;
  }

  std::vector<WindowResult> count_rows(int64_t from_minute, int64_t to_minute) override {
    // Rare (recounts): prepared per call rather than on every connection. One statement is
    // one snapshot.
    std::vector<WindowResult> out;
    std::shared_ptr<AdNames> names;
    Statement st(conn_, sql::kCountRows);
    st.bind(1, from_minute).bind(2, to_minute);
    while (st.step()) {
      const int64_t minute = st.column_int(0);
      if (out.empty() || out.back().minute != minute) {
        names = std::make_shared<AdNames>();
        out.push_back(WindowResult{minute, false, {}, names});
      }
      out.back().rows.push_back(CountRow{names->add(st.column_text(2)), static_cast<uint16_t>(st.column_int(1)),
                                         from_db(st.column_int(3))});
    }
    return out;
  }

  std::vector<FilterInfo> filters() override {
    std::vector<FilterInfo> out;
    Statement& st = read_->read_filters;
    st.reset();
    while (st.step())
      out.push_back(FilterInfo{static_cast<uint16_t>(st.column_int(0)), st.column_text(1)});
    return out;
  }

 private:
  // Replaces one partition's partial list, then rebuilds the merged list from every
  // partition's latest one (within the caller's transaction).
  static void write_partial_list(WriteStatements& w, const TopNList& list, uint32_t top_n) {
    const int64_t part = *list.partition;
    w.delete_part_list.bind(1, list.minute).bind(2, list.window).bind(3, list.filter_id)
        .bind(4, part).run();
    int64_t rank = 0;
    for (const TopNEntry& e : list.entries)
      w.insert_part_entry.bind(1, list.minute).bind(2, list.window).bind(3, list.filter_id)
          .bind(4, part).bind(5, ++rank).bind(6, list.ad_id(e)).bind(7, to_db(e.count)).run();
    w.delete_list.bind(1, list.minute).bind(2, list.window).bind(3, list.filter_id).run();
    // N unknown (0): keep the whole union.
    w.merge_list.bind(1, list.minute).bind(2, list.window).bind(3, list.filter_id)
        .bind(4, top_n > 0 ? int64_t{top_n} : int64_t{-1}).run();
  }

  // A deferred read transaction: the statements inside see one committed state.
  class ReadSnapshot {
   public:
    explicit ReadSnapshot(Connection& c) : c_(c) { c_.exec("BEGIN"); }
    ~ReadSnapshot() {
      try {
        c_.exec("COMMIT");
      } catch (...) {
        // Nothing was written; ending the read transaction cannot lose data.
      }
    }
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

   private:
    Connection& c_;
  };

  MetaRows meta_rows() {
    MetaRows rows;
    Statement& st = read_->read_meta;
    st.reset();
    while (st.step()) rows.emplace_back(st.column_text(0), st.column_int(1));
    return rows;
  }

  WriteStatements& writer() {
    if (!write_) throw StoreError("database " + conn_.path() + " was opened for reading");
    return *write_;
  }

  Connection conn_;
  std::unique_ptr<WriteStatements> write_;
  std::unique_ptr<ReadStatements> read_;
};

}  // namespace

std::unique_ptr<AggregateStore> open_sqlite_store(const std::string& path, OpenMode mode) {
  return std::make_unique<SqliteStore>(path, mode);
}

std::vector<NamedQuery> sqlite_read_queries() {
  return {{"aggregated_count", sql::kAggregatedCount}, {"list_header", sql::kListHeader},
          {"list_entries", sql::kListEntries},         {"top_by_sum", sql::kTopBySum},
          {"minute_counts", sql::kMinuteCounts},       {"topn_windows", sql::kTopnWindows},
          {"read_meta", sql::kReadMeta},               {"read_filters", sql::kReadFilters}};
}

}  // namespace clickagg::store
