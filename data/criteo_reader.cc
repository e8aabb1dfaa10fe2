#include "data/criteo_reader.h"

#include <string_view>
#include <utility>

#include "data/internal/criteo_format.h"
#include "data/internal/line_reader.h"

namespace ember::data {
namespace {

// The fixed Criteo TSV format (data/internal/criteo_format.h) as a LineParser.
class CriteoParser : public internal::LineParser {
 public:
  void ShapeBatch(int capacity, Batch* batch) override {
    if (batch->fields.size() != static_cast<size_t>(CriteoReader::kNumCategorical)) {
      batch->fields.resize(CriteoReader::kNumCategorical);
    }
    batch->num_dense = CriteoReader::kNumDense;
    const size_t records = static_cast<size_t>(capacity);
    batch->labels.reserve(records);
    batch->dense.reserve(records * CriteoReader::kNumDense);
    for (SparseField& field : batch->fields) {
      field.keys.reserve(records);
      field.offsets.reserve(records + 1);
    }
  }

  bool AppendLine(std::string_view line, Batch* batch, std::string* reason) override {
    if (!internal::ParseCriteoLine(line, &record_, reason)) return false;
    const int64_t b = batch->size++;
    batch->labels.push_back(record_.label);
    batch->dense.insert(batch->dense.end(), record_.dense, record_.dense + CriteoReader::kNumDense);
    for (int c = 0; c < CriteoReader::kNumCategorical; ++c) {
      SparseField& field = batch->fields[c];
      field.keys.push_back(record_.keys[c]);
      field.offsets.push_back(static_cast<int32_t>(b + 1));
    }
    return true;
  }

 private:
  internal::CriteoRecord record_;
};

internal::LineReaderOptions LineOptions(const CriteoReaderOptions& options) {
  return {.files = options.files,
          .batch_size = options.batch_size,
          .max_bad_lines = options.max_bad_lines,
          .part = options.part,
          .num_parts = options.num_parts,
          .skip_header = false};
}

}  // namespace

struct CriteoReader::State {
  explicit State(const CriteoReaderOptions& options)
      : lines("CriteoReader", LineOptions(options), std::make_unique<CriteoParser>()) {}
  internal::LineReader lines;
};

CriteoReader::CriteoReader(CriteoReaderOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {}
CriteoReader::~CriteoReader() = default;
CriteoReader::CriteoReader(CriteoReader&&) noexcept = default;
CriteoReader& CriteoReader::operator=(CriteoReader&&) noexcept = default;

int64_t CriteoReader::records_read() const { return state_ ? state_->lines.records_read() : 0; }
int64_t CriteoReader::bad_lines() const { return state_ ? state_->lines.bad_lines() : 0; }
ReaderPosition CriteoReader::position() const { return state_ ? state_->lines.position() : ReaderPosition{}; }
double CriteoReader::fraction_done() const { return state_ ? state_->lines.fraction_done() : 0.0; }
Status CriteoReader::Open() { return state_->lines.Open(); }
Status CriteoReader::Rewind() { return state_->lines.Rewind(); }
Status CriteoReader::Seek(const ReaderPosition& position) { return state_->lines.Seek(position); }
StatusOr<bool> CriteoReader::Next(Batch* batch) { return state_->lines.Next(batch); }

}  // namespace ember::data
