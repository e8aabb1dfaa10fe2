// fuzz/make_corpus.cc: writes the seed corpus of every fuzz target,
// fuzz/corpus/<target>/, from the real encoders where there are some
// (EncodeHeader, SendControl, EncodeManifest, FormatFileEntry, the
// checkpoint file writers, FormatSchema) and from hand-written lines
// elsewhere. Run once after a format changes, and commit what it writes:
//   build-fuzz/fuzz/make_corpus fuzz/corpus
// (fuzz/corpus/flagfile/ holds copies of examples/*.flags.)
#include <zmq.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/coding.h"
#include "data/schema.h"
#include "fuzz/fuzz_util.h"
#include "net/control.h"
#include "ps/wire.h"
#include "storage/checkpoint.h"
#include "storage/checkpoint_files.h"

namespace ember::fuzz {
namespace {

constexpr uint64_t kJobToken = 0x00c0ffee5eed1234;  // the targets' token

std::string root;

void Check(const Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "make_corpus: %s\n", status.ToString().c_str());
    std::exit(1);
  }
}

std::string Dir(const std::string& target) {
  const std::string dir = root + "/" + target;
  std::filesystem::create_directories(dir);
  return dir;
}

void Seed(const std::string& target, const std::string& name, const std::string& bytes) {
  Check(storage::WriteWholeFile(Dir(target) + "/" + name, bytes).status());
}

// ---- wire: header + payload frames, as ps/client.cc and ps/server.cc send them.

std::string Header(ps::MessageType type, uint32_t table, uint32_t dim, uint64_t items, uint64_t payload) {
  ps::MessageHeader h = ps::MakeHeader(type, kJobToken, 7);
  h.table_id = table;
  h.value_dim = dim;
  h.item_count = items;
  h.payload_bytes = payload;
  std::string bytes(ps::kHeaderBytes, '\0');
  ps::EncodeHeader(h, bytes.data());
  return bytes;
}

void WireSeeds() {
  using ps::MessageType;
  std::string keys(16, '\0');
  EncodeFixed64(keys.data(), 42);
  EncodeFixed64(keys.data() + 8, 0xfeedULL);
  Seed("wire", "hello", JoinFrames({Header(MessageType::kHello, 0, 0, 0, 0)}));
  std::string tables(2 * ps::kHelloTableEntryBytes, '\0');
  EncodeFixed32(tables.data(), 1);
  EncodeFixed32(tables.data() + 4, 16);
  EncodeFixed32(tables.data() + 12, 3);
  EncodeFixed32(tables.data() + 16, 8);
  Seed("wire", "hello_reply", JoinFrames({Header(MessageType::kHelloReply, 0, 0, 2, tables.size()), tables}));
  Seed("wire", "pull", JoinFrames({Header(MessageType::kPull, 3, 8, 2, 16), keys}));
  const std::string rows(2 * 8 * 4, '\x01');
  Seed("wire", "pull_reply", JoinFrames({Header(MessageType::kPullReply, 3, 8, 2, rows.size()), rows}));
  Seed("wire", "push", JoinFrames({Header(MessageType::kPush, 3, 8, 2, 16 + rows.size()), keys, rows}));
  Seed("wire", "push_reply", JoinFrames({Header(MessageType::kPushReply, 0, 0, 2, 0)}));
  const std::string stats(5 * 8, '\0');
  Seed("wire", "stats_reply", JoinFrames({Header(MessageType::kStatsReply, 0, 0, 5, stats.size()), stats}));
  const std::string dir = "/ckpt/step-000000000010.tmp";
  Seed("wire", "checkpoint", JoinFrames({Header(MessageType::kCheckpoint, 0, 0, dir.size(), dir.size()), dir}));
  const std::string list =
      storage::FormatFileEntry({dir + "/server-0/table-3.rows", 112, 0x0123456789abcdefULL}) + "\n";
  Seed("wire", "checkpoint_reply",
       JoinFrames({Header(MessageType::kCheckpointReply, 0, 0, list.size(), list.size()), list}));
  ps::MessageHeader error = ps::MakeHeader(MessageType::kPullReply, kJobToken, 7);
  error.status_code = static_cast<uint16_t>(StatusCode::kInvalidArgument);
  const std::string text = "PULL: unknown table 9";
  error.payload_bytes = text.size();
  std::string error_bytes(ps::kHeaderBytes, '\0');
  ps::EncodeHeader(error, error_bytes.data());
  Seed("wire", "error_reply", JoinFrames({error_bytes, text}));
}

// ---- control: what SendControl puts on a socket, read back from an inproc pair.

void ControlSeeds() {
  zmq::context_t context(1);
  zmq::socket_t sender(context, zmq::socket_type::pair), receiver(context, zmq::socket_type::pair);
  receiver.bind("inproc://make_corpus");
  sender.connect("inproc://make_corpus");
  const auto seed = [&](const std::string& name, const net::ControlMessage& message) {
    Check(net::SendControl(&sender, message));
    std::vector<std::string> frames;
    do {
      zmq::message_t frame;
      if (!receiver.recv(frame)) Check(Status::Internal("recv"));
      frames.emplace_back(static_cast<const char*>(frame.data()), frame.size());
      if (!frame.more()) break;
    } while (true);
    Seed("control", name, JoinFrames(frames));
  };
  net::ControlMessage m;
  m.job_token = kJobToken;
  m.rank = 2;
  m.step = 10;
  m.type = net::ControlType::kRegister;
  seed("register", m);
  m.type = net::ControlType::kHeartbeat;
  seed("heartbeat", m);
  m.type = net::ControlType::kProgress;
  m.numbers = {512, 355.5, 1, 0.25};
  seed("progress", m);
  m.type = net::ControlType::kDone;
  m.numbers = {1024, 2.5};
  m.dense_checksum = 0x1234;
  seed("done", m);
  m.numbers.clear();
  m.type = net::ControlType::kEvalResult;
  m.probabilities = {0.25f, 0.75f};
  m.labels = {0.f, 1.f};
  m.groups = {11, 12};
  seed("eval_result", m);
  m.eval_offset = 32768;
  m.eval_last = false;
  seed("eval_result_part", m);
  m.probabilities.clear();
  m.labels.clear();
  m.groups.clear();
  m.eval_offset = 0;
  m.eval_last = true;
  seed("regression-empty_eval_result", m);  // no samples: DecodeFloats of nothing
  m.type = net::ControlType::kFailed;
  m.text = "worker 2: data/train.tsv:3: bad line";
  seed("failed", m);
  m.type = net::ControlType::kCheckpointWritten;
  m.text = storage::FormatFileEntry({"/ckpt/step-000000000010.tmp/worker-2.state", 96, 0xabcdef0123456789ULL}) + "\n";
  seed("checkpoint_written", m);
}

// ---- the checkpoint's text formats and data files.

void CheckpointSeeds() {
  storage::Manifest manifest;
  manifest.step = 10;
  manifest.epoch = 1;
  manifest.num_servers = 2;
  manifest.num_workers = 1;
  manifest.config = {{"model", "wide_deep"}, {"table.3.dim", "8"}, {"hidden", "64,32"}};
  manifest.files = {{"dense.bin", 80, 0x1111222233334444ULL}, {"server-0/table-3.rows", 112, 0x5555666677778888ULL}};
  StatusOr<std::string> text = storage::EncodeManifest(manifest);
  Check(text.status());
  Seed("manifest", "manifest", *text);
  manifest.config.clear();
  manifest.files.clear();
  text = storage::EncodeManifest(manifest);
  Check(text.status());
  Seed("manifest", "manifest_empty", *text);

  std::string list;
  for (const storage::FileEntry& file : {storage::FileEntry{"/ckpt/step-000000000010.tmp/dense.bin", 80, 1},
                                         storage::FileEntry{"/ckpt/a b/worker-0.state", 96, ~0ULL}}) {
    list += storage::FormatFileEntry(file) + "\n";
  }
  Seed("file_entries", "two_files", list);
  Seed("file_entries", "one_file", storage::FormatFileEntry({"server-1/server.state", 24, 0}));

  const std::string dir = Dir("checkpoint_files");
  storage::RowsFileWriter rows;
  Check(rows.Open(dir + "/rows", /*table_id=*/3, /*row_floats=*/4));
  const float row[4] = {0.5f, -1.f, 0.f, 2.f};
  Check(rows.AddRow(42, row));
  Check(rows.AddRow(7, row));
  rows.AddPendingCount(9, 1, 10);
  Check(rows.Finish().status());
  Check(storage::WriteDenseFile(dir + "/dense", {{"bias", {}, {0.25f}}, {"layer0/weight", {2, 3}, {1, 2, 3, 4, 5, 6}}})
            .status());
  storage::WorkerState worker;
  worker.rank = 1;
  worker.global_step = 10;
  worker.reader_offset = 4096;
  worker.epoch_done = true;
  Check(storage::WriteWorkerState(dir + "/worker", worker).status());
  Check(storage::WriteServerState(dir + "/server", {.rank = 0, .applied_steps = 10, .push_clock = 3}).status());
}

// ---- text data: Criteo lines, schemas, schema lines, interaction files.

void DataSeeds() {
  std::string criteo = "1";
  for (int i = 0; i < 13; ++i) criteo += "\t" + std::to_string(i * 7 - 3);
  for (int i = 0; i < 26; ++i) criteo += "\t" + std::string(i % 5 == 0 ? "" : "68fd1e64");
  Seed("criteo_line", "line", criteo);
  Seed("criteo_line", "line_crlf", "0" + std::string(13, '\t') + std::string(26, '\t') + "\r");

  for (const char* spec : {"label,logdense*13,cat*26", "label,weight,dense*2,cat*3,multi:|", "skip,label,cat*22",
                           "label, multi:tab ,multi:space,multi:comma"}) {
    StatusOr<data::Schema> schema = data::ParseSchema(spec);
    Check(schema.status());
    Seed("schema", "spec_" + std::to_string(schema->columns.size()), data::FormatSchema(*schema));
  }
  Seed("schema", "delimiter_tab", "tab");

  Seed("schema_line", "csv", "label,weight,dense,logdense,cat,multi:|,skip\n,\n1,2.5,0.5,3,a,x|y|z,junk\n0,0, ,,b,,\n");
  Seed("schema_line", "tsv", "label,dense*2,cat*2\ntab\n1\t1e3\t-2\tc1\tc2\r\n0.0\t\t\t\t\n");

  Seed("interaction", "movielens",
       "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
       "2::914::3::978301968\n2::661::5::978300000\n");
  Seed("interaction", "csv_header",
       "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n"
       "2,31,4,1260759185\n");
  Seed("interaction", "pairs", "u1 i1\nu1 i2\nu1 i3\nu2 i1\nu2 i3\n");
  Seed("interaction", "ncf_negatives", "(0,32)\t1064\t174\t2791\n(1,1072)\t3542\n");
}

// ---- metrics files, as the scheduler writes them (docs/architecture.md, "The scheduler").

void ReportSeeds() {
  Seed("metrics_file", "wide_deep",
       "{\"event\": \"progress\", \"step\": 2, \"epoch\": 0, \"samples_per_sec\": 6789.6851077321126, "
       "\"loss\": 0.57770820273988555}\n"
       "{\"event\": \"checkpoint\", \"step\": 10, \"path\": \"ckpt/step-000000000010\", \"bytes\": 4416355, "
       "\"seconds\": 0.504}\n"
       "{\"event\": \"eval\", \"epoch\": 0, \"examples\": 4000, \"test_auc\": 0.67684209358231862, "
       "\"test_logloss\": 0.53983878903710625}\n"
       "{\"event\": \"final\", \"steps\": 30, \"samples\": 60000, \"test_auc\": 0.71597007361884379, "
       "\"samples_per_sec\": 10734.329143105238, \"dense_checksums\": \"86817615f55af956\"}\n");
  Seed("metrics_file", "din",
       "{\"event\": \"eval\", \"epoch\": 0, \"examples\": 202000, \"test_auc\": 0.8075, \"test_logloss\": 0.1946, "
       "\"test_gauc\": null, \"test_users\": 2000, \"test_hr@10\": 0.5605, \"test_ndcg@10\": 0.3415}\r\n\n");
  Seed("metrics_file", "servers",
       "{\"event\": \"server\", \"step\": 10, \"server\": 1, \"rows\": 120, \"note\": \"a\\u00e9\\ud83d\\ude00<\\/\", "
       "\"list\": [1, -2.5e3, true, {\"x\": []}]}\n");
}

}  // namespace
}  // namespace ember::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR (fuzz/corpus)\n");
    return 2;
  }
  ember::fuzz::root = argv[1];
  ember::fuzz::WireSeeds();
  ember::fuzz::ControlSeeds();
  ember::fuzz::CheckpointSeeds();
  ember::fuzz::DataSeeds();
  ember::fuzz::ReportSeeds();
  return 0;
}
