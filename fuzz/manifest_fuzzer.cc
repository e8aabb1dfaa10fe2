// fuzz/manifest_fuzzer.cc: a checkpoint's MANIFEST (storage/manifest.h,
// DecodeManifest). The input is decoded as it is, and again with a right
// checksum line appended: the checksum gates every other check, and a
// fuzzer cannot forge one. A MANIFEST that decodes and that EncodeManifest
// can write again must decode to the same Manifest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/checksum.h"
#include "fuzz/fuzz_util.h"
#include "storage/manifest.h"

namespace {

bool SameManifest(const ember::storage::Manifest& a, const ember::storage::Manifest& b) {
  if (a.format_version != b.format_version || a.step != b.step || a.epoch != b.epoch ||
      a.num_servers != b.num_servers || a.num_workers != b.num_workers || a.config != b.config ||
      a.config_hash != b.config_hash || a.files.size() != b.files.size()) {
    return false;
  }
  for (size_t i = 0; i < a.files.size(); ++i) {
    if (a.files[i].path != b.files[i].path || a.files[i].bytes != b.files[i].bytes ||
        a.files[i].checksum != b.files[i].checksum) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  storage::DecodeManifest(text, "MANIFEST").status().IgnoreError();

  std::string body(text);
  if (!body.empty() && body.back() != '\n') body += '\n';
  body += "checksum " + Hex64(ComputeChecksum64(body)) + "\n";
  const StatusOr<storage::Manifest> manifest = storage::DecodeManifest(body, "MANIFEST");
  if (!manifest.ok()) return 0;
  FUZZ_CHECK(manifest->config_hash == storage::ConfigHash(manifest->config));
  const StatusOr<std::string> encoded = storage::EncodeManifest(*manifest);
  if (!encoded.ok()) return 0;  // a MANIFEST this build would not write (e.g. a tab in a key)
  const StatusOr<storage::Manifest> again = storage::DecodeManifest(*encoded, "MANIFEST");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(SameManifest(*manifest, *again));
  return 0;
}
