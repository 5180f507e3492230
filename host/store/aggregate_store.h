// The aggregate store: where closed windows and top-N lists are kept for the query API.
// One implementation (sql_store.h) serves SQLite and PostgreSQL alike: it writes and reads
// through a connection (sql_connection.h) with the database's SQL taken from its dialect, a
// table of data (dialect.h); the tables are written once and versioned in one sequence for
// both (schema.h). Everything above this interface (the sink adapter, the popular-ads policy,
// the HTTP API) is backend-neutral.
//
// Writes are idempotent: a window result replaces its minute, a top-N list replaces its
// (minute, window, filter), counters are absolute values, and the last closed minute only
// moves forward. Replaying a batch therefore changes nothing.
//
// Results of one input partition (WindowResult::partition, TopNList::partition set; a
// streaming task's share, partitions holding disjoint ads) replace only that partition's
// share: its count rows are upserted (its counts only grow, its groups never disappear), its
// partial list is kept apart and the stored list becomes the merged top N of every
// partition's latest partial list. Readers see only complete minutes and merged lists.
//
// One store object is one connection: use it from one thread at a time. Several objects may
// be open on the same database (one writer, several readers).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/common/event_counters.h"
#include "host/engine/results.h"

namespace clickagg::store {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where the pipeline stands, for progress lines and the dashboard. Counters are cumulative
// values owned by the writer (absolute, so a replay does not double them).
struct Progress : EventCounters {
  std::optional<int64_t> last_closed_minute;  // minutes since the epoch
  // Messages the aggregators had yet to read when this was recorded (sum over partitions);
  // nullopt where no streaming source reports one (batch and generated runs).
  std::optional<int64_t> consumer_lag;
  bool operator==(const Progress&) const = default;
};

// The outcome of the last reconciliation (a recount from the raw archive compared with the
// stored counts), for the dashboard and metrics.
struct ReconcileStatus {
  int64_t checked_at_ms = 0;    // wall clock when it finished
  int64_t from_minute = 0;      // the range checked, [from_minute, to_minute)
  int64_t to_minute = 0;
  uint64_t groups_checked = 0;  // (ad, minute, filter) groups compared
  uint64_t mismatches = 0;
  bool operator==(const ReconcileStatus&) const = default;
};

struct FilterInfo {
  uint16_t id = 0;
  std::string name;
  bool operator==(const FilterInfo&) const = default;
};

// A record that could not be decoded, kept with where it came from (dead letter).
struct RejectEntry {
  uint32_t partition = 0;
  uint64_t offset = 0;
  std::string reason;
  std::string record;  // the raw bytes
};

// Everything one transaction writes.
struct ResultBatch {
  std::vector<WindowResult> windows;  // each one the complete minute
  std::vector<TopNList> topn;         // each one the complete list
  uint32_t top_n = 0;                 // the N the lists were cut at; 0: unknown
  std::optional<Progress> progress;   // counters to record; last_closed_minute moves forward only
  // Counters of single input partitions' tasks, by partition: each replaces that partition's
  // previous ones, and the recorded counters become the sum over every partition recorded
  // (consumer_lag: over those that reported one). Written after `progress`.
  std::map<uint32_t, Progress> partition_progress;
  // Upserted by (partition, position/offset), so a replay adds nothing.
  std::vector<LateRecord> late;
  std::vector<RejectEntry> rejects;
  // The highest sequence number now committed per producer (moves forward only): written in
  // the same transaction as the results, so "committed" and "stored" never disagree.
  std::vector<std::pair<std::string, uint64_t>> producer_seqs;
  bool empty() const {
    return windows.empty() && topn.empty() && !progress && partition_progress.empty() &&
           late.empty() && rejects.empty() && producer_seqs.empty();
  }
};

class AggregateStore {
 public:
  virtual ~AggregateStore() = default;

  // One transaction; all or nothing. The last closed minute also advances to the newest
  // minute of a non-correction window result or top-N list in the batch.
  virtual void write(const ResultBatch& batch) = 0;
  // Replaces the recorded filter table (ids and names) so readers know which ids exist.
  virtual void set_filters(const std::vector<FilterInfo>& filters) = 0;

  // Sum of counts of `ad_id` over minutes [from_minute, to_minute) for `filter_id`.
  virtual uint64_t aggregated_count(std::string_view ad_id, int64_t from_minute,
                                    int64_t to_minute, uint16_t filter_id) = 0;
  // The stored top-N list; nullopt when none was stored for that key.
  struct StoredList {
    std::vector<NamedEntry> entries;
    uint32_t top_n = 0;  // the N it was cut at; 0: unknown
  };
  virtual std::optional<StoredList> topn_list(int64_t minute, uint32_t window,
                                              uint16_t filter_id) = 0;
  // Top `limit` ads by the sum of counts over minutes [first_minute, last_minute] computed
  // from the counts; by sum descending, then ad_id byte order ascending; zero sums absent.
  virtual std::vector<NamedEntry> top_by_sum(int64_t first_minute, int64_t last_minute,
                                            uint16_t filter_id, uint32_t limit) = 0;
  // The minutes in [from_minute, to_minute) holding a non-zero count of `ad_id` for
  // `filter_id`, ascending by minute (a range of the counts primary key).
  struct MinuteCount {
    int64_t minute = 0;
    uint64_t count = 0;
    bool operator==(const MinuteCount&) const = default;
  };
  virtual std::vector<MinuteCount> minute_counts(std::string_view /*ad_id*/,
                                                 int64_t /*from_minute*/, int64_t /*to_minute*/,
                                                 uint16_t /*filter_id*/) {
    throw StoreError("this store cannot list counts per minute");
  }
  // The distinct window sizes of the top-N lists stored for `minute` (any filter), ascending.
  virtual std::vector<uint32_t> topn_windows(int64_t /*minute*/) {
    throw StoreError("this store cannot list top-N windows");
  }
  virtual Progress progress() = 0;
  // Records a reconciliation outcome, replacing the previous one.
  virtual void record_reconcile(const ReconcileStatus& status) = 0;
  // The last recorded reconciliation; nullopt when none ran.
  virtual std::optional<ReconcileStatus> last_reconcile() = 0;
  // Every stored count row of the minutes in [from_minute, to_minute): one WindowResult per
  // minute holding any (ascending; rows by filter_id, then ad_id byte order), for a recount
  // to compare with or build on. Read in one snapshot.
  virtual std::vector<WindowResult> count_rows(int64_t /*from_minute*/, int64_t /*to_minute*/) {
    throw StoreError("this store cannot list count rows");
  }
  virtual std::vector<FilterInfo> filters() = 0;
  // The highest sequence number committed for `producer` (ResultBatch::producer_seqs); 0 when
  // none. Backends that do not record sequence numbers refuse.
  virtual uint64_t committed_seq(const std::string& producer) {
    throw StoreError("this store does not record sequence numbers (producer " + producer + ")");
  }
};

enum class OpenMode {
  Writer,  // creates the database and its schema when missing, migrates an older schema
  Reader,  // the database must exist with the current schema; never writes
};

// Opens a store by location: "sqlite:PATH", a plain file path, or a PostgreSQL URI
// ("postgresql://..." or "postgres://..."). Throws StoreError.
std::unique_ptr<AggregateStore> open_store(const std::string& location, OpenMode mode);

// The file of a SQLite location (as open_store reads it); nullopt for a PostgreSQL URI.
std::optional<std::string> sqlite_path(const std::string& location);

// Every query a dialect's readers issue (the API's reads), by name, with its SQL text as the
// store prepares it: lets tests check the query plans without a copy of the SQL.
struct NamedQuery {
  std::string name;
  std::string sql;
};
std::vector<NamedQuery> sqlite_read_queries();
std::vector<NamedQuery> postgres_read_queries();

}  // namespace clickagg::store
