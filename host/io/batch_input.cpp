#include "host/io/batch_input.h"

#include <memory>

#include "host/decode/record_decoder.h"
#include "host/io/mapped_file.h"

namespace clickagg {

BatchInputStats read_inputs(const std::vector<std::string>& paths, Format format, size_t batch_size,
                            std::FILE* rejects, const std::function<void(const EventColumns&)>& consume,
                            const EventTimeBound& bound, const InputProgress& progress,
                            std::pmr::memory_resource* batch_memory) {
  // Map everything first: an unreadable file fails the run before any output is produced.
  std::vector<std::unique_ptr<MappedFile>> files;
  std::vector<std::string> labels;
  uint64_t total_bytes = 0;
  try {
    for (const auto& p : paths) {
      const bool in = p == kStdinPath;
      files.push_back(std::make_unique<MappedFile>(in ? MappedFile::standard_input() : MappedFile(p)));
      labels.push_back(in ? "stdin" : p);
      total_bytes += files.back()->bytes().size();
    }
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }

  BatchInputStats st;
  EventColumns batch(batch_memory);
  batch.reserve(batch_size, batch_size * 24);
  RecordDecoder decoder(format);
  uint64_t bytes_before = 0;  // of the files already read
  const RecordSplitter* current = nullptr;
  auto flush = [&] {
    st.records = decoder.records();
    st.rejected = decoder.rejected();
    if (batch.empty()) return;
    consume(batch);
    batch.clear();
    if (progress) {
      BatchInputStats so_far = st;
      so_far.bytes = bytes_before + (current ? current->offset() : 0);
      progress(so_far, total_bytes);
    }
  };
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string_view bytes = files[f]->bytes();
    RecordSplitter splitter(bytes, format);
    current = &splitter;
    RecordRef rec;
    while (splitter.next(rec)) {
      if (const DecodeStatus err = decoder.into(batch, rec, bound)) {
        if (rejects)
          std::fprintf(rejects, "%s:%s: %s\n", labels[f].c_str(), splitter.position_label(rec.position).c_str(), err);
        continue;
      }
      if (batch.size() >= batch_size || batch.full()) flush();
    }
    current = nullptr;
    bytes_before += bytes.size();
    st.bytes += bytes.size();
  }
  flush();
  return st;
}

}  // namespace clickagg
