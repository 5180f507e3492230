#include "kernels/filter_table.h"

#include <cstring>
#include <map>

#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {
template <class T>
void upload(DeviceArray<T>& dst, const std::vector<T>& src) {
  if (src.empty()) return;
  dst.assign_exact(src.size());
  sys::copy(dst.data(), src.data(), src.size() * sizeof(T), sys::Copy::HostToDevice);
}
}  // namespace

DeviceFilterTable::DeviceFilterTable(const FilterSet& filters) : count_(static_cast<uint32_t>(filters.size())) {
  std::vector<DeviceFilter> defs;
  std::vector<DeviceCountry> countries;
  std::vector<Cidr> cidrs;
  std::vector<uint32_t> users;

  // Tokens first (every distinct user id named by any filter), so the views stay put.
  std::map<std::string, uint32_t> distinct;
  for (const FilterDef& d : filters.defs())
    for (const std::string& u : d.user_ids) distinct.emplace(u, 0);
  user_names_.reserve(distinct.size());
  for (auto& [name, token] : distinct) {
    token = static_cast<uint32_t>(user_names_.size());
    user_names_.push_back(name);
  }
  for (uint32_t t = 0; t < user_names_.size(); ++t) tokens_.emplace(std::string_view(user_names_[t]), t);

  for (const FilterDef& d : filters.defs()) {
    ids_.push_back(d.id);
    DeviceFilter f{};
    f.country_begin = static_cast<uint32_t>(countries.size());
    for (const Country& c : d.countries) {
      DeviceCountry dc{};
      std::memcpy(dc.code, c.code.data(), sizeof dc.code);
      dc.len = c.len;
      countries.push_back(dc);
    }
    f.country_end = static_cast<uint32_t>(countries.size());
    f.cidr_begin = static_cast<uint32_t>(cidrs.size());
    cidrs.insert(cidrs.end(), d.ip_blocks.begin(), d.ip_blocks.end());
    f.cidr_end = static_cast<uint32_t>(cidrs.size());
    f.user_begin = static_cast<uint32_t>(users.size());
    for (const std::string& u : d.user_ids) users.push_back(distinct.at(u));
    f.user_end = static_cast<uint32_t>(users.size());
    defs.push_back(f);
  }
  upload(filters_, defs);
  upload(countries_, countries);
  upload(cidrs_, cidrs);
  upload(users_, users);
}

FilterTableRef DeviceFilterTable::ref() const {
  return FilterTableRef{filters_.data(), countries_.data(), cidrs_.data(), users_.data(), count_};
}

void DeviceFilterTable::user_tokens(const EventColumns& batch, ThreadPool& pool, std::vector<uint32_t>& out) const {
  const size_t n = batch.size();
  out.resize(n);
  auto fill = [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) out[i] = user_token(batch.user_id(i));
  };
  constexpr size_t kParallelFrom = 1 << 15;  // below this, threads cost more than they save
  const unsigned parts = n < kParallelFrom ? 1 : pool.size();
  if (parts == 1) fill(0, n);
  else pool.run([&](unsigned t) { fill(n * t / parts, n * (t + 1) / parts); });
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
