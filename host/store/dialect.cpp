#include "host/store/dialect.h"

namespace clickagg::store {

StatementInfo info(Stmt id) {
  switch (id) {
    case Stmt::DeleteMinute: return {"delete_minute", Use::Writer};
    case Stmt::UpsertCounts: return {"upsert_counts", Use::Writer};
    case Stmt::DeleteList: return {"delete_list", Use::Writer};
    case Stmt::InsertList: return {"insert_list", Use::Writer};
    case Stmt::DeletePartList: return {"delete_part_list", Use::Writer};
    case Stmt::InsertPartList: return {"insert_part_list", Use::Writer};
    case Stmt::MergeList: return {"merge_list", Use::Writer};
    case Stmt::UpsertListHeader: return {"upsert_list", Use::Writer};
    case Stmt::SetMeta: return {"set_meta", Use::Writer};
    case Stmt::AdvanceMeta: return {"advance_meta", Use::Writer};
    case Stmt::DeletePartProgress: return {"delete_part_progress", Use::Writer};
    case Stmt::InsertPartProgress: return {"insert_part_progress", Use::Writer};
    case Stmt::SumPartProgress: return {"sum_part_progress", Use::Writer};
    case Stmt::DeleteFilters: return {"delete_filters", Use::Writer};
    case Stmt::InsertFilter: return {"insert_filter", Use::Writer};
    case Stmt::UpsertLate: return {"upsert_late", Use::Writer};
    case Stmt::UpsertReject: return {"upsert_reject", Use::Writer};
    case Stmt::AdvanceProducerSeq: return {"advance_producer_seq", Use::Writer};
    case Stmt::AggregatedCount: return {"aggregated_count", Use::ApiRead};
    case Stmt::List: return {"list", Use::ApiRead};
    case Stmt::ListHeader: return {"list_header", Use::ApiRead};
    case Stmt::ListEntries: return {"list_entries", Use::ApiRead};
    case Stmt::TopBySum: return {"top_by_sum", Use::ApiRead};
    case Stmt::MinuteCounts: return {"minute_counts", Use::ApiRead};
    case Stmt::TopnWindows: return {"topn_windows", Use::ApiRead};
    case Stmt::ReadMeta: return {"read_meta", Use::ApiRead};
    case Stmt::ReadFilters: return {"read_filters", Use::ApiRead};
    case Stmt::CommittedSeq: return {"committed_seq", Use::Read};
    case Stmt::CountRows: return {"count_rows", Use::OneOff};
  }
  throw StoreError("unknown statement");
}

std::vector<NamedQuery> api_read_queries(const Dialect& dialect) {
  std::vector<NamedQuery> out;
  for (const StatementText& s : dialect.statements)
    if (info(s.id).use == Use::ApiRead) out.push_back({info(s.id).name, s.sql});
  return out;
}

std::vector<NamedQuery> sqlite_read_queries() { return api_read_queries(sqlite_dialect()); }

std::vector<NamedQuery> postgres_read_queries() { return api_read_queries(postgres_dialect()); }

}  // namespace clickagg::store
