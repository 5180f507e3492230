#include "host/store/sql_store.h"

#include <algorithm>
#include <array>
#include <climits>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "host/store/progress_keys.h"
#include "host/store/schema_upgrade.h"

namespace clickagg::store {

namespace {

int64_t to_db(uint64_t v) {
  if (v > static_cast<uint64_t>(INT64_MAX)) throw StoreError("value exceeds the database range");
  return static_cast<int64_t>(v);
}

uint32_t to_u32(int64_t v) { return static_cast<uint32_t>(std::clamp<int64_t>(v, 0, UINT32_MAX)); }

// One column of a row batch.
using Column = std::variant<std::span<const int64_t>, std::span<const std::string_view>>;

// A list's entries as columns: (rank, ad_id, count).
struct EntryColumns {
  explicit EntryColumns(const TopNList& list) {
    int64_t rank = 0;
    for (const TopNEntry& e : list.entries) {
      ranks.push_back(++rank);
      ads.push_back(list.ad_id(e));
      counts.push_back(to_db(e.count));
    }
  }
  std::vector<int64_t> ranks, counts;
  std::vector<std::string_view> ads;
};

class SqlStore final : public AggregateStore {
 public:
  SqlStore(std::unique_ptr<SqlConnection> conn, const Dialect& dialect, OpenMode mode)
      : conn_(std::move(conn)), d_(dialect), writer_(mode == OpenMode::Writer) {
    if (writer_)
      prepare_writer(*conn_, d_);
    else
      check_reader(*conn_, d_);
    handles_.fill(-1);
    for (const StatementText& s : d_.statements) {
      const StatementInfo st = info(s.id);
      sql_[index(s.id)] = s.sql;
      if (st.use == Use::OneOff || (st.use == Use::Writer && !writer_)) continue;
      handles_[index(s.id)] = conn_->prepare(st.name, s.sql);
    }
  }

  void write(const ResultBatch& batch) override {
    if (batch.empty()) return;
    require_writer();
    std::optional<int64_t> closed;
    auto advance = [&closed](int64_t m) { closed = closed ? std::max(*closed, m) : m; };

    Transaction tx(*conn_, d_.begin_write);
    for (const WindowResult& win : batch.windows) {
      // A result carries the complete minute: delete-then-insert makes a correction or a
      // replay leave exactly the newest rows. A partition's share only upserts: the other
      // partitions' rows of the minute stay, and its own rows only grow.
      if (!win.partition) run(Stmt::DeleteMinute, {win.minute});
      write_counts(win);
      if (!win.correction) advance(win.minute);
    }
    for (const TopNList& list : batch.topn) {
      const uint32_t top_n = list.top_n ? list.top_n : batch.top_n;
      if (list.partition)
        write_partial_list(list, top_n);
      else
        write_list(list);
      run(Stmt::UpsertListHeader, {list.minute, list.window, list.filter_id, top_n});
      if (!list.correction) advance(list.minute);
    }
    if (batch.progress) {
      const Progress& p = *batch.progress;
      for (const CounterField& f : kCounterFields) run(Stmt::SetMeta, {f.name, to_db(p.*f.member)});
      if (p.last_closed_minute) advance(*p.last_closed_minute);
      if (p.consumer_lag) run(Stmt::SetMeta, {kConsumerLagKey, *p.consumer_lag});
    }
    for (const auto& [part, p] : batch.partition_progress) {
      run(Stmt::DeletePartProgress, {part});
      for (const CounterField& f : kCounterFields) run(Stmt::InsertPartProgress, {part, f.name, to_db(p.*f.member)});
      if (p.consumer_lag) run(Stmt::InsertPartProgress, {part, kConsumerLagKey, *p.consumer_lag});
      if (p.last_closed_minute) advance(*p.last_closed_minute);
    }
    if (!batch.partition_progress.empty()) run(Stmt::SumPartProgress, {});
    if (closed) run(Stmt::AdvanceMeta, {kLastClosedMinuteKey, *closed});
    for (const LateRecord& r : batch.late)
      run(Stmt::UpsertLate, {r.partition, to_db(r.position), r.ad_id, r.t_ms, r.watermark_ms});
    for (const RejectEntry& r : batch.rejects)
      run(Stmt::UpsertReject, {r.partition, to_db(r.offset), r.reason, Bytes(r.record)});
    for (const auto& [producer, seq] : batch.producer_seqs)
      run(Stmt::AdvanceProducerSeq, {producer, to_db(seq)});
    tx.commit();
  }

  void set_filters(const std::vector<FilterInfo>& filters) override {
    require_writer();
    Transaction tx(*conn_, d_.begin_write);
    run(Stmt::DeleteFilters, {});
    for (const FilterInfo& f : filters) run(Stmt::InsertFilter, {f.id, f.name});
    tx.commit();
  }

  void record_reconcile(const ReconcileStatus& status) override {
    require_writer();
    Transaction tx(*conn_, d_.begin_write);
    for (const auto& [key, field] : kReconcileKeys) run(Stmt::SetMeta, {key, status.*field});
    for (const auto& [key, field] : kReconcileCounterKeys) run(Stmt::SetMeta, {key, to_db(status.*field)});
    tx.commit();
  }

  uint64_t aggregated_count(std::string_view ad_id, int64_t from_minute, int64_t to_minute,
                            uint16_t filter_id) override {
    conn_->repair();
    uint64_t total = 0;
    run(Stmt::AggregatedCount, {filter_id, ad_id, from_minute, to_minute},
        [&](const Row& r) { total = r.count(0); });
    return total;
  }

  std::optional<StoredList> topn_list(int64_t minute, uint32_t window, uint16_t filter_id) override {
    conn_->repair();
    std::optional<StoredList> list;
    auto entry = [&list](const Row& r, int col) {
      list->entries.push_back(NamedEntry{std::string(r.text(col)), r.count(col + 1)});
    };
    if (has(Stmt::List)) {
      // Rows (top_n, ad_id, count); a list without entries is one row with a NULL ad_id.
      run(Stmt::List, {minute, window, filter_id}, [&](const Row& r) {
        if (!list) list.emplace().top_n = to_u32(r.integer(0));
        if (!r.is_null(1)) entry(r, 1);
      });
      return list;
    }
    // The header and its entries in one read transaction, so a concurrent replacement is seen
    // whole.
    Transaction snapshot(*conn_, "BEGIN");
    run(Stmt::ListHeader, {minute, window, filter_id},
        [&](const Row& r) { list.emplace().top_n = to_u32(r.integer(0)); });
    if (list) run(Stmt::ListEntries, {minute, window, filter_id}, [&](const Row& r) { entry(r, 0); });
    snapshot.commit();
    return list;
  }

  std::vector<NamedEntry> top_by_sum(int64_t first_minute, int64_t last_minute, uint16_t filter_id,
                                    uint32_t limit) override {
    std::vector<NamedEntry> out;
    if (limit == 0 || first_minute > last_minute) return out;
    conn_->repair();
    run(Stmt::TopBySum, {first_minute, last_minute, filter_id, limit},
        [&](const Row& r) { out.push_back(NamedEntry{std::string(r.text(0)), r.count(1)}); });
    return out;
  }

  std::vector<MinuteCount> minute_counts(std::string_view ad_id, int64_t from_minute, int64_t to_minute,
                                         uint16_t filter_id) override {
    conn_->repair();
    std::vector<MinuteCount> out;
    run(Stmt::MinuteCounts, {filter_id, ad_id, from_minute, to_minute},
        [&](const Row& r) { out.push_back(MinuteCount{r.integer(0), r.count(1)}); });
    return out;
  }

  std::vector<uint32_t> topn_windows(int64_t minute) override {
    conn_->repair();
    std::vector<uint32_t> out;
    run(Stmt::TopnWindows, {minute}, [&](const Row& r) { out.push_back(to_u32(r.integer(0))); });
    return out;
  }

  Progress progress() override { return progress_from_meta(meta_rows()); }

  std::optional<ReconcileStatus> last_reconcile() override { return reconcile_from_meta(meta_rows()); }

  std::vector<FilterInfo> filters() override {
    conn_->repair();
    std::vector<FilterInfo> out;
    run(Stmt::ReadFilters, {}, [&](const Row& r) {
      out.push_back(FilterInfo{static_cast<uint16_t>(r.integer(0)), std::string(r.text(1))});
    });
    return out;
  }

  uint64_t committed_seq(const std::string& producer) override {
    conn_->repair();
    uint64_t seq = 0;
    run(Stmt::CommittedSeq, {producer}, [&](const Row& r) { seq = r.count(0); });
    return seq;
  }

  std::vector<WindowResult> count_rows(int64_t from_minute, int64_t to_minute) override {
    conn_->repair();
    // One statement is one snapshot.
    std::vector<WindowResult> out;
    std::shared_ptr<AdNames> names;
    const Value params[] = {from_minute, to_minute};
    conn_->run_once(sql_[index(Stmt::CountRows)], params, [&](const Row& r) {
      const int64_t minute = r.integer(0);
      if (out.empty() || out.back().minute != minute) {
        names = std::make_shared<AdNames>();
        out.push_back(WindowResult{minute, false, {}, names});
      }
      out.back().rows.push_back(CountRow{names->add(r.text(2)), static_cast<uint16_t>(r.integer(1)), r.count(3)});
    });
    return out;
  }

 private:
  static size_t index(Stmt id) { return static_cast<size_t>(id); }
  bool has(Stmt id) const { return sql_[index(id)] != nullptr; }

  void run(Stmt id, std::initializer_list<Value> params, const OnRow& on_row = {}) {
    conn_->run(handle(id), std::span(params.begin(), params.size()), on_row);
  }

  int handle(Stmt id) const {
    const int h = handles_[index(id)];
    if (h < 0)
      throw StoreError(std::string("statement ") + info(id).name + " is not prepared on " + d_.name +
                       " connection " + conn_->where());
    return h;
  }

  // Runs a row statement over a batch of rows: the fixed parameters, then one value per column,
  // all rows in one statement or one statement per row as the dialect takes them.
  void run_rows(Stmt id, std::initializer_list<Value> fixed, std::initializer_list<Column> columns) {
    const size_t rows = std::visit([](auto c) { return c.size(); }, *columns.begin());
    if (rows == 0) return;
    std::vector<Value> params(fixed);
    if (d_.row_batches == RowBatches::Arrays) {
      for (const Column& c : columns) std::visit([&](auto col) { params.emplace_back(col); }, c);
      conn_->run(handle(id), params, {});
      return;
    }
    for (size_t row = 0; row < rows; ++row) {
      params.resize(fixed.size());
      for (const Column& c : columns) std::visit([&](auto col) { params.emplace_back(col[row]); }, c);
      conn_->run(handle(id), params, {});
    }
  }

  void write_counts(const WindowResult& win) {
    std::vector<std::string_view> ads;
    std::vector<int64_t> filters, counts;
    for (const CountRow& row : win.rows) {
      if (row.count == 0) continue;
      ads.push_back(win.ad_id(row));
      filters.push_back(row.filter_id);
      counts.push_back(to_db(row.count));
    }
    run_rows(Stmt::UpsertCounts, {win.minute}, {std::span(ads), std::span(filters), std::span(counts)});
  }

  // Replaces the stored list of the key (an unpartitioned list covers every partition).
  void write_list(const TopNList& list) {
    run(Stmt::DeleteList, {list.minute, list.window, list.filter_id});
    const EntryColumns e(list);
    run_rows(Stmt::InsertList, {list.minute, list.window, list.filter_id},
             {std::span(e.ranks), std::span(e.ads), std::span(e.counts)});
  }

  // Replaces one partition's partial list, then rebuilds the merged list from every
  // partition's latest one (within the caller's transaction).
  void write_partial_list(const TopNList& list, uint32_t top_n) {
    const uint32_t part = *list.partition;
    run(Stmt::DeletePartList, {list.minute, list.window, list.filter_id, part});
    const EntryColumns e(list);
    run_rows(Stmt::InsertPartList, {list.minute, list.window, list.filter_id, part},
             {std::span(e.ranks), std::span(e.ads), std::span(e.counts)});
    run(Stmt::DeleteList, {list.minute, list.window, list.filter_id});
    // N unknown (0): keep the whole union.
    run(Stmt::MergeList, {list.minute, list.window, list.filter_id, top_n > 0 ? int64_t{top_n} : INT64_MAX});
  }

  MetaRows meta_rows() {
    conn_->repair();
    MetaRows rows;
    run(Stmt::ReadMeta, {}, [&](const Row& r) { rows.emplace_back(std::string(r.text(0)), r.integer(1)); });
    return rows;
  }

  void require_writer() {
    if (!writer_) throw StoreError("database " + conn_->where() + " was opened for reading");
    conn_->repair();
  }

  std::unique_ptr<SqlConnection> conn_;
  const Dialect& d_;
  bool writer_;
  std::array<const char*, kStatementCount> sql_{};
  std::array<int, kStatementCount> handles_;
};

}  // namespace

std::unique_ptr<AggregateStore> open_sql_store(std::unique_ptr<SqlConnection> conn, const Dialect& dialect,
                                               OpenMode mode) {
  return std::make_unique<SqlStore>(std::move(conn), dialect, mode);
}

}  // namespace clickagg::store
