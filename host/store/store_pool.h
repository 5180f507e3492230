// A pool of reader connections for concurrent request threads: a store object is one
// connection used by one thread at a time, so each request borrows one and gives it back.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "host/store/aggregate_store.h"

namespace clickagg::store {

class StorePool {
 public:
  using Factory = std::function<std::unique_ptr<AggregateStore>()>;
  // Keeps at most `max_idle` idle connections; more are opened under load and closed after.
  explicit StorePool(Factory factory, size_t max_idle = 16);

  class Lease {
   public:
    Lease(StorePool& pool, std::unique_ptr<AggregateStore> store)
        : pool_(&pool), store_(std::move(store)) {}
    ~Lease() {
      if (store_) pool_->give_back(std::move(store_));
    }
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    AggregateStore& operator*() const { return *store_; }
    AggregateStore* operator->() const { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<AggregateStore> store_;
  };

  // Borrows an idle connection or opens a new one (StoreError when that fails).
  Lease acquire();

 private:
  void give_back(std::unique_ptr<AggregateStore> store);

  Factory factory_;
  size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<AggregateStore>> idle_;
};

}  // namespace clickagg::store
