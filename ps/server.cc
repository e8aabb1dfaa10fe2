#include "ps/server.h"

#include <algorithm>
#include <cerrno>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <string_view>

#include <zmq_addon.hpp>

#include "common/logging.h"
#include "net/connection_cap.h"
#include "net/curve.h"
#include "net/zmq_util.h"
#include "ps/server_shard.h"
#include "ps/step_barrier.h"
#include "ps/wire.h"
#include "storage/sparse_table.h"

namespace ember::ps {
namespace {

std::string PeerName(const zmq::message_t& identity) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setfill('0');
  const auto* p = static_cast<const unsigned char*>(identity.data());
  for (size_t i = 0; i < identity.size() && i < 16; ++i) out << std::setw(2) << static_cast<int>(p[i]);
  return out.str();
}

}  // namespace

struct Server::Impl {
  // A request kept for later (--sync): its header and its frames, the
  // peer identity first.
  struct HeldMessage {
    MessageHeader header;
    std::vector<zmq::message_t> frames;
  };
  Impl(zmq::context_t* context_in, ServerOptions options_in)
      : context(context_in),
        options(std::move(options_in)),
        barrier(options.sync_workers),
        rows(options.tables.size()) {}

  Status Bind();
  Status Run();
  // Handles one received message: frames[0] is the peer identity.
  // A failure it returns is the server's own (not the request's); the
  // requester has been sent it as an error reply.
  Status Handle(std::vector<zmq::message_t>& frames);
  // Handle's work after ParseMessage accepted the request.
  // `requester` is a copy of frames[0], kept for the reply when a held
  // --sync request's frames have moved into the barrier.
  Status Dispatch(const MessageHeader& h, std::vector<zmq::message_t>& frames, zmq::message_t& requester);
  void Reject(const zmq::message_t& identity, const MessageHeader& header, bool authenticated, const Status& why);
  Status Send(zmq::message_t& identity, const MessageHeader& header, zmq::message_t* payload0,
              zmq::message_t* payload1);
  Status SendError(zmq::message_t& identity, const MessageHeader& request, const Status& error);
  // Stores every table's row count for stats().
  void CountRows();
  Status HandlePull(zmq::message_t& identity, const MessageHeader& h, const zmq::message_t& keys);
  Status HandlePush(zmq::message_t& identity, const MessageHeader& h, const zmq::message_t& keys,
                    const zmq::message_t& grads);
  // --sync: buffers a PUSH, then applies every step that is complete.
  Status BufferPush(const MessageHeader& h, std::vector<zmq::message_t>& frames, zmq::message_t& requester);
  // --sync: applies the buffered steps that every worker ended, in step and
  // rank order, then answers the held pulls they release.
  Status ApplyCompleteSteps();
  // Writes this server's shard of a checkpoint into `dir`; the reply lists
  // its files.
  Status HandleCheckpoint(zmq::message_t& identity, const MessageHeader& h, const zmq::message_t& dir);
  // An authenticated request that breaks the --sync protocol: counted,
  // logged and answered with InvalidArgument.
  Status Refuse(zmq::message_t& identity, const MessageHeader& h, const Status& why) {
    Reject(identity, h, true, why);
    return SendError(identity, h, why);
  }
  bool sync() const { return options.sync_workers > 0; }
  MessageHeader ReplyHeader(const MessageHeader& request) const {
    MessageHeader reply =
        MakeHeader(ReplyTypeOf(static_cast<MessageType>(request.type)), options.job_token, request.request_id);
    return reply;
  }

  zmq::context_t* context;
  ServerOptions options;
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<net::ConnectionCap> connection_cap;  // tcp with max_connections only
  mutable std::mutex endpoint_mu;
  std::string endpoint;
  std::unique_ptr<ServerShard> shard;  // created by Bind
  TableDimFn table_dim;
  std::atomic<bool> stop{false};
  bool shutdown_requested = false;
  // A row's "last step": the job's applied steps under --sync (the same in
  // every run), else this server's count of pushes applied.
  uint32_t push_clock = 0;
  std::vector<std::string_view> views;
  // --sync: the pushes and pulls that wait for a step.
  StepBarrier<HeldMessage> barrier;
  // Stats, written by the serving thread, read by stats().
  std::vector<std::atomic<int64_t>> rows;
  std::atomic<int64_t> rejected{0}, pulls{0}, pushes{0};
  std::atomic<int64_t> buffered_pushes{0}, held_pulls{0};  // the barrier's, after each message
};

Status Server::Impl::Bind() {
  if (socket != nullptr) return Status::FailedPrecondition("server ", options.rank, ": Bind called twice");
  RETURN_IF_ERROR(sparse::ValidateTableConfigs(options.tables).WithContext("server " + std::to_string(options.rank)));
  if (options.sync_workers < 0) {
    return Status::InvalidArgument("server ", options.rank, ": sync_workers = ", options.sync_workers);
  }
  if (options.threads < 1) {
    return Status::InvalidArgument("server ", options.rank, ": threads = ", options.threads, " (at least 1)");
  }
  if (options.bind_endpoint.empty()) {
    return Status::InvalidArgument("server ", options.rank, ": empty bind_endpoint");
  }
  StatusOr<std::unique_ptr<ServerShard>> created = ServerShard::Create(options);
  if (!created.ok()) return created.status().WithContext("server " + std::to_string(options.rank));
  shard = std::move(*created);
  barrier.StartAt(shard->restored().applied_steps);
  push_clock = shard->restored().push_clock;
  CountRows();
  table_dim = [this](uint32_t id) { return shard->dim(id); };
  try {
    auto s = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::router);
    s->set(zmq::sockopt::linger, options.linger_ms);
    s->set(zmq::sockopt::rcvtimeo, options.poll_interval_ms);
    s->set(zmq::sockopt::sndhwm, 0);
    s->set(zmq::sockopt::rcvhwm, 0);
    // libzmq drops a peer that sends one frame larger than any request of a
    // client can need, before the server allocates it.
    int max_dim = 0;
    for (const sparse::TableConfig& table : options.tables) max_dim = std::max(max_dim, table.dim);
    s->set(zmq::sockopt::maxmsgsize, options.max_keys_per_message == 0 ? int64_t{-1}
                                                                       : static_cast<int64_t>(MaxRequestFrameBytes(
                                                                             options.max_keys_per_message, max_dim)));
    RETURN_IF_ERROR(
        net::ApplyCurveServer(s.get(), options.curve).WithContext("server " + std::to_string(options.rank)));
    if (options.max_connections > 0 && options.bind_endpoint.starts_with("tcp://")) {
      ASSIGN_OR_RETURN(connection_cap, net::ConnectionCap::Start(context, s.get(), options.max_connections,
                                                                 "server " + std::to_string(options.rank)));
    }
    s->bind(options.bind_endpoint);
    std::string resolved = s->get(zmq::sockopt::last_endpoint);
    {
      std::lock_guard<std::mutex> lock(endpoint_mu);
      endpoint = resolved.empty() ? options.bind_endpoint : resolved;
    }
    socket = std::move(s);
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "server " + std::to_string(options.rank) + " bind", options.bind_endpoint);
  }
  LOG(INFO) << "server " << options.rank << " bound " << endpoint << " with " << shard->tables().size() << " table(s)";
  return Status::OK();
}

Status Server::Impl::Run() {
  if (socket == nullptr) return Status::FailedPrecondition("server ", options.rank, ": Run before a successful Bind");
  SetThreadRole("server", options.rank);
  // identity, header, payload frames, and one more so that a message with
  // too many frames still fails ParseMessage; frames past that are dropped
  // as they are read, so a stranger's message of a million empty frames
  // costs the server nothing.
  constexpr size_t kMaxKeptFrames = 2 + kMaxPayloadFrames + 1;
  std::vector<zmq::message_t> frames;
  frames.reserve(kMaxKeptFrames);
  zmq::message_t dropped;
  while (!stop.load(std::memory_order_relaxed)) {
    frames.clear();
    try {
      zmq::message_t first;
      if (!socket->recv(first, zmq::recv_flags::none)) continue;  // poll interval elapsed
      bool more = first.more();
      frames.push_back(std::move(first));
      while (more) {
        zmq::message_t* into = frames.size() < kMaxKeptFrames ? &frames.emplace_back() : &dropped;
        // The rest of a multipart message is already here: this never waits.
        if (!socket->recv(*into, zmq::recv_flags::none)) {
          return Status::Internal("server ", options.rank, ": a multipart message ended early on ", endpoint);
        }
        more = into->more();
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return net::ZmqStatus(e, "server " + std::to_string(options.rank) + " recv", endpoint);
    }
    Status handled = Handle(frames);
    if (!handled.ok()) {
      // The server's own failure (its tables or the RocksDB tier under them,
      // e.g. a full disk): Handle answered the request with it, so the
      // worker that sent it stops the job naming the cause at once.
      LOG(ERROR) << "server " << options.rank << " stops: " << handled;
      return handled;
    }
    if (shutdown_requested) {
      LOG(INFO) << "server " << options.rank << " stops on SHUTDOWN; " << shard->Summary();
      return Status::OK();
    }
  }
  LOG(INFO) << "server " << options.rank << " stopped; " << shard->Summary();
  return Status::OK();
}

void Server::Impl::Reject(const zmq::message_t& identity, const MessageHeader& header, bool authenticated,
                          const Status& why) {
  const int64_t n = rejected.fetch_add(1, std::memory_order_relaxed) + 1;
  if (ShouldLogNth(n)) {  // a stranger cannot flood the log
    LOG(WARNING) << "server " << options.rank << " rejected a message from peer " << PeerName(identity) << " ("
                 << (authenticated ? "authenticated " + MessageTypeName(header.type) + " request_id " +
                                         std::to_string(header.request_id)
                                   : std::string("unauthenticated, no reply"))
                 << "): " << why << " [rejected so far: " << n << "]";
  }
}

Status Server::Impl::Send(zmq::message_t& identity, const MessageHeader& header, zmq::message_t* payload0,
                          zmq::message_t* payload1) {
  zmq::message_t header_frame(kHeaderBytes);
  EncodeHeader(header, static_cast<char*>(header_frame.data()));
  try {
    socket->send(identity, zmq::send_flags::sndmore);
    socket->send(header_frame, payload0 != nullptr ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (payload0 != nullptr)
      socket->send(*payload0, payload1 != nullptr ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (payload1 != nullptr) socket->send(*payload1, zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    if (e.num() == ETERM) return net::ZmqStatus(e, "server " + std::to_string(options.rank) + " send", endpoint);
    // A peer that went away is not the server's failure.
    LOG(WARNING) << "server " << options.rank << " could not reply " << MessageTypeName(header.type) << " to peer "
                 << PeerName(identity) << ": " << e.what();
  }
  return Status::OK();
}

Status Server::Impl::SendError(zmq::message_t& identity, const MessageHeader& request, const Status& error) {
  MessageHeader reply = ReplyHeader(request);
  reply.status_code = static_cast<uint16_t>(error.code());
  reply.table_id = 0;
  std::string text = "server " + std::to_string(options.rank) + ": " + std::string(error.message());
  if (text.size() > 4096) text.resize(4096);
  zmq::message_t message(text.data(), text.size());
  reply.payload_bytes = message.size();
  return Send(identity, reply, &message, nullptr);
}

Status Server::Impl::Handle(std::vector<zmq::message_t>& frames) {
  if (frames.size() < 2) {
    // A ROUTER always prepends the identity; a lone frame has no header.
    Reject(frames.empty() ? zmq::message_t() : zmq::message_t(frames[0].data(), frames[0].size()), MessageHeader{},
           false, Status::DataLoss("message without a header frame"));
    return Status::OK();
  }
  zmq::message_t& identity = frames[0];
  views.clear();
  for (size_t i = 1; i < frames.size(); ++i) {
    views.emplace_back(static_cast<const char*>(frames[i].data()), frames[i].size());
  }
  MessageHeader h;
  bool authenticated = false;
  Status parsed = ParseMessage(views, options.job_token, table_dim, &h, &authenticated);
  if (parsed.ok() && IsReply(h.type)) {
    parsed = Status::InvalidArgument("a ", MessageTypeName(h.type), " sent to a server");
  }
  if (!parsed.ok()) {
    Reject(identity, h, authenticated, parsed);
    if (authenticated && IsKnownMessageType(h.type) && !IsReply(h.type)) {
      return SendError(identity, h, parsed);
    }
    return Status::OK();
  }
  VLOG(1) << "server " << options.rank << " " << MessageTypeName(h.type) << " request_id " << h.request_id << " table "
          << h.table_id << " items " << h.item_count;
  // A held --sync request keeps the frames; the reply of a failure needs the
  // identity after that.
  zmq::message_t requester(identity.data(), identity.size());
  Status status = Dispatch(h, frames, requester);
  if (!status.ok()) (void)SendError(requester, h, status);
  if (sync()) {
    buffered_pushes.store(static_cast<int64_t>(barrier.buffered_pushes()), std::memory_order_relaxed);
    held_pulls.store(static_cast<int64_t>(barrier.held_pulls()), std::memory_order_relaxed);
  }
  return status;
}

Status Server::Impl::Dispatch(const MessageHeader& h, std::vector<zmq::message_t>& frames, zmq::message_t& requester) {
  zmq::message_t& identity = frames[0];
  const std::vector<std::unique_ptr<storage::SparseTable>>& tables = shard->tables();
  switch (static_cast<MessageType>(h.type)) {
    case MessageType::kHello: {
      MessageHeader reply = ReplyHeader(h);
      reply.aux = static_cast<uint32_t>(options.rank);
      reply.item_count = tables.size();
      zmq::message_t entries(tables.size() * kHelloTableEntryBytes);
      char* p = static_cast<char*>(entries.data());
      for (const auto& table : tables) {
        EncodeFixed32(p, table->config().id);
        EncodeFixed32(p + 4, static_cast<uint32_t>(table->dim()));
        EncodeFixed32(p + 8, static_cast<uint32_t>(table->config().optimizer.type));
        p += kHelloTableEntryBytes;
      }
      reply.payload_bytes = entries.size();
      return Send(identity, reply, &entries, nullptr);
    }
    case MessageType::kPull:
      if (sync() && (h.flags & kFlagNoCreate) == 0 && barrier.MustHoldPull(h.step)) {
        const Status held = barrier.HoldPull(h.aux, h.step, HeldMessage{h, std::move(frames)});
        return held.ok() ? held : Refuse(requester, h, held);
      }
      return HandlePull(identity, h, frames[2]);
    case MessageType::kPush:
      if (sync()) return BufferPush(h, frames, requester);
      return HandlePush(identity, h, frames[2], frames[3]);
    case MessageType::kStats: {
      const bool with_checksums = (h.flags & kFlagChecksums) != 0;
      MessageHeader reply = ReplyHeader(h);
      reply.item_count = kStatsFixedEntries + tables.size() * (with_checksums ? 2 : 1);
      zmq::message_t entries(reply.item_count * 8);
      char* p = static_cast<char*>(entries.data());
      EncodeFixed64(p, static_cast<uint64_t>(rejected.load()));
      EncodeFixed64(p + 8, static_cast<uint64_t>(pulls.load()));
      EncodeFixed64(p + 16, static_cast<uint64_t>(pushes.load()));
      for (size_t i = 0; i < tables.size(); ++i) {
        EncodeFixed64(p + 8 * (kStatsFixedEntries + i), static_cast<uint64_t>(tables[i]->num_rows()));
        if (with_checksums) {
          ASSIGN_OR_RETURN(uint64_t checksum, tables[i]->Checksum());
          EncodeFixed64(p + 8 * (kStatsFixedEntries + tables.size() + i), checksum);
        }
      }
      reply.payload_bytes = entries.size();
      return Send(identity, reply, &entries, nullptr);
    }
    case MessageType::kCheckpoint:
      return HandleCheckpoint(identity, h, frames[2]);
    case MessageType::kShutdown:
      shutdown_requested = true;
      return Send(identity, ReplyHeader(h), nullptr, nullptr);
    default:
      break;
  }
  return Status::Internal("server ", options.rank, ": unhandled ", MessageTypeName(h.type));
}

Status Server::Impl::HandlePull(zmq::message_t& identity, const MessageHeader& h, const zmq::message_t& keys) {
  storage::SparseTable* table = shard->table(h.table_id);
  const int index = shard->index_of(h.table_id);
  const bool create = (h.flags & kFlagNoCreate) == 0;
  const size_t n = h.item_count;
  const size_t dim = static_cast<size_t>(table->dim());
  const size_t row_bytes = dim * sizeof(float);
  // The rows are written straight into the reply frame, which zmq sends
  // without another copy.
  zmq::message_t values(n * row_bytes);
  // A creating pull of step t is answered after step t - 1 is applied
  // (--sync): its rows' last step is then t, the applied steps.
  const uint32_t now = sync() ? static_cast<uint32_t>(barrier.applied_steps()) : push_clock;
  RETURN_IF_ERROR(
      table->PullBatch(static_cast<const char*>(keys.data()), n, create, now, static_cast<char*>(values.data())));
  rows[index].store(table->num_rows(), std::memory_order_relaxed);
  pulls.fetch_add(1, std::memory_order_relaxed);
  MessageHeader reply = ReplyHeader(h);
  reply.table_id = h.table_id;
  reply.value_dim = h.value_dim;
  reply.item_count = n;
  reply.payload_bytes = values.size();
  return Send(identity, reply, &values, nullptr);
}

Status Server::Impl::HandlePush(zmq::message_t& identity, const MessageHeader& h, const zmq::message_t& keys,
                                const zmq::message_t& grads) {
  storage::SparseTable* table = shard->table(h.table_id);
  const size_t n = h.item_count;
  // The rows' last step: under --sync the worker's step; else the count of
  // push requests, which advances at a request's last message (all the
  // messages of one request stamp the same value).
  const uint32_t stamp = sync() ? static_cast<uint32_t>(h.step + 1) : push_clock + 1;
  if (sync() || (h.flags & kFlagPartial) == 0) push_clock = stamp;
  // Gradients are read in place from the frame (no per-row copy).
  RETURN_IF_ERROR(
      table->PushBatch(static_cast<const char*>(keys.data()), static_cast<const char*>(grads.data()), n, stamp));
  ASSIGN_OR_RETURN(const bool swept, shard->MaybeExpire(push_clock));
  if (swept) {
    CountRows();  // a sweep removes rows of every table
  } else {
    rows[shard->index_of(h.table_id)].store(table->num_rows(), std::memory_order_relaxed);
  }
  pushes.fetch_add(1, std::memory_order_relaxed);
  MessageHeader reply = ReplyHeader(h);
  reply.item_count = n;
  return Send(identity, reply, nullptr, nullptr);
}

Status Server::Impl::HandleCheckpoint(zmq::message_t& identity, const MessageHeader& h, const zmq::message_t& dir) {
  const std::string path(static_cast<const char*>(dir.data()), dir.size());
  if (sync() && (h.step != barrier.applied_steps() || barrier.buffered_steps() > 0)) {
    return Refuse(
        identity, h,
        Status::FailedPrecondition("CHECKPOINT of step ", h.step, " while ", barrier.applied_steps(),
                                   " steps are applied and ", barrier.buffered_steps(), " are buffered (--sync)"));
  }
  storage::ServerState state;
  state.rank = options.rank;
  state.applied_steps = barrier.applied_steps();
  state.push_clock = push_clock;
  StatusOr<std::vector<storage::FileEntry>> files = shard->WriteCheckpoint(path, state);
  if (!files.ok()) {
    LOG(ERROR) << "server " << options.rank << " could not write its shard of checkpoint step " << h.step << ": "
               << files.status();
    return SendError(identity, h, files.status());
  }
  std::string list;
  for (const storage::FileEntry& file : *files) list += storage::FormatFileEntry(file) + "\n";
  MessageHeader reply = ReplyHeader(h);
  reply.item_count = list.size();
  reply.payload_bytes = list.size();
  zmq::message_t payload(list.data(), list.size());
  return Send(identity, reply, &payload, nullptr);
}

void Server::Impl::CountRows() {
  for (size_t i = 0; i < rows.size(); ++i) rows[i].store(shard->tables()[i]->num_rows(), std::memory_order_relaxed);
}

Status Server::Impl::BufferPush(const MessageHeader& h, std::vector<zmq::message_t>& frames,
                                zmq::message_t& requester) {
  const bool ends_step = (h.flags & kFlagEndOfStep) != 0;
  const Status buffered = barrier.AddPush(h.aux, h.step, ends_step, HeldMessage{h, std::move(frames)});
  if (!buffered.ok()) return Refuse(requester, h, buffered);
  return ApplyCompleteSteps();
}

Status Server::Impl::ApplyCompleteSteps() {
  if (!barrier.StepComplete()) return Status::OK();  // nothing applied: no pull to release
  do {
    for (HeldMessage& push : barrier.PopStep()) {
      RETURN_IF_ERROR(HandlePush(push.frames[0], push.header, push.frames[2], push.frames[3]));
    }
    VLOG(1) << "server " << options.rank << " applied step " << barrier.applied_steps() - 1;
  } while (barrier.StepComplete());
  for (HeldMessage& pull : barrier.ReleasePulls()) {
    RETURN_IF_ERROR(HandlePull(pull.frames[0], pull.header, pull.frames[2]));
  }
  return Status::OK();
}

Server::Server(zmq::context_t* context, ServerOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(options))) {}

Server::~Server() = default;

Status Server::Bind() { return impl_->Bind(); }

std::string Server::endpoint() const {
  std::lock_guard<std::mutex> lock(impl_->endpoint_mu);
  return impl_->endpoint;
}

Status Server::Run() { return impl_->Run(); }

void Server::Stop() { impl_->stop.store(true); }

ServerStats Server::stats() const {
  ServerStats s;
  s.rows_per_table.reserve(impl_->rows.size());
  for (const auto& r : impl_->rows) s.rows_per_table.push_back(r.load(std::memory_order_relaxed));
  s.rejected_messages = impl_->rejected.load();
  s.pulls = impl_->pulls.load();
  s.pushes = impl_->pushes.load();
  s.sync_buffered_pushes = impl_->buffered_pushes.load(std::memory_order_relaxed);
  s.sync_held_pulls = impl_->held_pulls.load(std::memory_order_relaxed);
  if (impl_->connection_cap != nullptr) {
    s.connections_checked = impl_->connection_cap->checked();
    s.connections_refused = impl_->connection_cap->refused();
  }
  return s;
}

}  // namespace ember::ps
