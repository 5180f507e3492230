#include "host/store/store_pool.h"

namespace clickagg::store {

StorePool::StorePool(Factory factory, size_t max_idle)
    : factory_(std::move(factory)), max_idle_(max_idle) {}

StorePool::Lease StorePool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(store));
    }
  }
  return Lease(*this, factory_());  // opened outside the lock: opening may wait on the file
}

void StorePool::give_back(std::unique_ptr<AggregateStore> store) {
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(store));
}

}  // namespace clickagg::store
