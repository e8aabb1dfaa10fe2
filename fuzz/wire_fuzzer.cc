// fuzz/wire_fuzzer.cc: the parameter-server wire format (ps/wire.h). The
// input is a multipart message (fuzz_util.h framing): DecodeHeader on its
// first frame, then ParseMessage on all of them. A message ParseMessage
// accepts is then read the way the server and the client read it, every
// payload byte its header promises, so a size check that lets a short frame
// through shows as a heap overflow.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "ps/wire.h"
#include "storage/checkpoint_files.h"

namespace ember::fuzz {
namespace {

// The job token of the seeds (fuzz/corpus/wire/).
constexpr uint64_t kJobToken = 0x00c0ffee5eed1234;

// Three tables, as a server would know them.
int TableDim(uint32_t table_id) {
  switch (table_id) {
    case 1:
      return 16;
    case 3:
      return 8;
    case 7:
      return 1;
    default:
      return -1;
  }
}

void ReadPayload(const ps::MessageHeader& h, const std::vector<std::string_view>& frames) {
  using ps::MessageType;
  if (h.status_code != 0) {  // an error reply: the message text
    TouchBytes(frames[1].data(), frames[1].size());
    return;
  }
  const uint64_t n = h.item_count;
  const uint64_t dim = h.value_dim;
  switch (static_cast<MessageType>(h.type)) {
    case MessageType::kHelloReply:
      for (uint64_t e = 0; e < n; ++e) {
        TouchBytes(frames[1].data() + e * ps::kHelloTableEntryBytes, ps::kHelloTableEntryBytes);
      }
      break;
    case MessageType::kStatsReply:
      FUZZ_CHECK(n >= ps::kStatsFixedEntries);
      TouchBytes(frames[1].data(), 8 * n);
      break;
    case MessageType::kPull:
      TouchBytes(frames[1].data(), 8 * n);
      break;
    case MessageType::kPullReply:
      FUZZ_CHECK(dim == static_cast<uint64_t>(TableDim(h.table_id)));
      TouchBytes(frames[1].data(), 4 * n * dim);
      break;
    case MessageType::kPush:
      FUZZ_CHECK(dim == static_cast<uint64_t>(TableDim(h.table_id)));
      TouchBytes(frames[1].data(), 8 * n);
      TouchBytes(frames[2].data(), 4 * n * dim);
      break;
    case MessageType::kCheckpoint:
      FUZZ_CHECK(n >= 1 && n <= ps::kMaxCheckpointPathBytes);
      TouchBytes(frames[1].data(), n);
      break;
    case MessageType::kCheckpointReply:  // the servers' file list, as the scheduler parses it
      TouchBytes(frames[1].data(), n);
      storage::ParseFileEntries(std::string_view(frames[1].data(), n)).status().IgnoreError();
      break;
    default:
      break;
  }
}

}  // namespace
}  // namespace ember::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::vector<std::vector<char>> frames = fuzz::SplitFrames(data, size);
  std::vector<std::string_view> views;
  for (const std::vector<char>& frame : frames) views.emplace_back(frame.data(), frame.size());
  ps::MessageHeader header;
  if (!views.empty()) {
    const Status decoded = ps::DecodeHeader(views[0], &header);
    if (decoded.ok()) {
      char encoded[ps::kHeaderBytes];
      ps::EncodeHeader(header, encoded);
      FUZZ_CHECK(std::string_view(encoded, sizeof(encoded)) == views[0]);  // every byte is a field
    }
    ps::MessageTypeName(header.type);
  }
  bool authenticated = false;
  const Status parsed = ps::ParseMessage(views, fuzz::kJobToken, fuzz::TableDim, &header, &authenticated);
  if (!parsed.ok()) return 0;
  FUZZ_CHECK(authenticated);
  FUZZ_CHECK(views.size() >= 1 && views.size() <= 1 + ps::kMaxPayloadFrames);
  fuzz::ReadPayload(header, views);
  return 0;
}
