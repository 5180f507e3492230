#include "host/store/sql_connection.h"

namespace clickagg::store {

Transaction::Transaction(SqlConnection& conn, const char* begin) : conn_(conn) { conn_.exec(begin); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    conn_.exec("ROLLBACK");
  } catch (...) {
    // The connection is gone: the database rolls the transaction back by itself.
  }
}

void Transaction::commit() {
  conn_.exec("COMMIT");
  open_ = false;
}

}  // namespace clickagg::store
