// fuzz/schema_line_fuzzer.cc: the lines of delimited text under a schema
// (data/internal/schema_format.h, SchemaLineParser, what SchemaReader runs).
// The input's first line is the spec, its second the delimiter
// (ParseDelimiter: ",", "tab", ...), every further line a record. After each
// line the batch must be well formed, and a malformed line must leave it as
// it was.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "data/batch.h"
#include "data/internal/line_reader.h"
#include "data/internal/schema_format.h"
#include "data/schema.h"
#include "fuzz/fuzz_util.h"

namespace {

using ember::data::Batch;

// Room reserved for records, as LineReader asks for its batch_size.
constexpr int kCapacity = 8;

// Takes the text before the next '\n' (all of it if none) off *text.
std::string_view NextLine(std::string_view* text) {
  const size_t end = text->find('\n');
  const std::string_view line = text->substr(0, end);
  text->remove_prefix(end == std::string_view::npos ? text->size() : end + 1);
  return line;
}

void CheckWellFormed(const Batch& batch, const ember::data::Schema& schema) {
  const auto size = static_cast<size_t>(batch.size);
  FUZZ_CHECK(batch.labels.size() == size);
  for (float label : batch.labels) FUZZ_CHECK(label == 0.f || label == 1.f);
  FUZZ_CHECK(batch.weights.size() == (schema.has_weight() ? size : 0));
  for (float weight : batch.weights) FUZZ_CHECK(weight >= 0.f);
  FUZZ_CHECK(batch.num_dense == schema.num_dense());
  FUZZ_CHECK(batch.dense.size() == size * static_cast<size_t>(batch.num_dense));
  FUZZ_CHECK(batch.fields.size() == static_cast<size_t>(schema.num_categorical()));
  for (const ember::data::SparseField& field : batch.fields) {
    FUZZ_CHECK(field.offsets.size() == size + 1 && field.offsets.front() == 0);
    for (size_t b = 0; b < size; ++b) FUZZ_CHECK(field.offsets[b] <= field.offsets[b + 1]);
    FUZZ_CHECK(static_cast<size_t>(field.offsets.back()) == field.keys.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const StatusOr<data::Schema> schema = data::ParseSchema(NextLine(&text));
  if (!schema.ok()) return 0;
  const StatusOr<char> delimiter = data::ParseDelimiter(NextLine(&text));
  if (!delimiter.ok() || !data::CheckSchemaDelimiter(*schema, *delimiter).ok()) return 0;

  data::internal::SchemaLineParser parser(*schema, *delimiter);
  Batch batch;
  parser.ShapeBatch(kCapacity, &batch);
  batch.Clear();
  std::string reason;
  while (!text.empty()) {
    const std::string_view line = NextLine(&text);
    if (line.size() > data::internal::kMaxLineBytes) continue;  // LineReader drops it unparsed
    const Batch before = batch;
    bool is_header = true;
    const Status classified = parser.ClassifyFirstLine(line, &is_header);
    if (parser.AppendLine(line, &batch, &reason)) {
      FUZZ_CHECK(batch.size == before.size + 1);
      // A valid record is never taken for a header (nor refused as one).
      FUZZ_CHECK(classified.ok() && !is_header);
    } else {
      FUZZ_CHECK(!reason.empty());
      FUZZ_CHECK(batch.size == before.size && batch.labels == before.labels && batch.dense == before.dense);
      for (size_t f = 0; f < batch.fields.size(); ++f) {
        FUZZ_CHECK(batch.fields[f].keys == before.fields[f].keys &&
                   batch.fields[f].offsets == before.fields[f].offsets);
      }
    }
    CheckWellFormed(batch, *schema);
  }
  return 0;
}
