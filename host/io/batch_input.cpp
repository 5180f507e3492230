#include "host/io/batch_input.h"

#include <memory>

#include "host/decode/decode_columns.h"
#include "host/io/mapped_file.h"

namespace clickagg {

BatchInputStats read_inputs(const std::vector<std::string>& paths, Format format, size_t batch_size,
                            std::FILE* rejects, const std::function<void(const EventColumns&)>& consume,
                            const EventTimeBound& bound) {
  // Map everything first: an unreadable file fails the run before any output is produced.
  std::vector<std::unique_ptr<MappedFile>> files;
  try {
    for (const auto& p : paths) files.push_back(std::make_unique<MappedFile>(p));
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }

  BatchInputStats st;
  EventColumns batch;
  batch.reserve(batch_size, batch_size * 24);
  Arena arena;
  auto flush = [&] {
    if (batch.empty()) return;
    consume(batch);
    batch.clear();
  };
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string_view bytes = files[f]->bytes();
    st.bytes += bytes.size();
    RecordSplitter splitter(bytes, format);
    RecordRef rec;
    while (splitter.next(rec)) {
      ++st.records;
      DecodeStatus err = rec.framing_error ? rec.framing_error : decode_into(format, rec.bytes, rec.position, batch, arena, bound);
      if (err) {
        ++st.rejected;
        if (rejects)
          std::fprintf(rejects, "%s:%s: %s\n", paths[f].c_str(), splitter.position_label(rec.position).c_str(), err);
        continue;
      }
      if (batch.size() >= batch_size || batch.full()) flush();
    }
  }
  flush();
  return st;
}

}  // namespace clickagg
