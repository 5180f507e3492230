#include "host/sink/batch_builder.h"

#include <type_traits>

namespace clickagg::sink {

namespace {

template <class Map, class Key, class Value>
void supersede(Map& map, const Key& key, const Value& v) {
  auto [it, inserted] = map.try_emplace(key, v);
  if (inserted) return;
  const bool closes = !it->second.correction || !v.correction;
  it->second = v;
  it->second.correction = !closes;
}

}  // namespace

void BatchBuilder::add(const emit::Body& body) {
  std::visit(
      [this](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, WindowResult>)
          supersede(windows_, b.minute, b);
        else if constexpr (std::is_same_v<T, TopNList>)
          supersede(lists_, std::make_tuple(b.minute, b.window, b.filter_id), b);
        else if constexpr (std::is_same_v<T, LateRecord>)
          late_.push_back(b);
        else
          rejects_.push_back(store::RejectEntry{b.partition, b.offset, b.reason, b.record});
      },
      body);
}

void BatchBuilder::move_into(store::ResultBatch& batch) {
  for (auto& [minute, w] : windows_) batch.windows.push_back(std::move(w));
  for (auto& [key, t] : lists_) batch.topn.push_back(std::move(t));
  for (auto& r : late_) batch.late.push_back(std::move(r));
  for (auto& r : rejects_) batch.rejects.push_back(std::move(r));
  windows_.clear();
  lists_.clear();
  late_.clear();
  rejects_.clear();
}

}  // namespace clickagg::sink
