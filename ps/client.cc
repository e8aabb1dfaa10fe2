// ps/client.cc: PsClient's one state machine — requests split over the
// servers and chunked, their tickets, and the replies matched back to them
// (about 550 lines; the parts share the request table and are not separable
// without exposing it).
#include "ps/client.h"

#include <cerrno>
#include <chrono>
#include <unordered_map>

#include <zmq_addon.hpp>

#include "common/logging.h"
#include "net/zmq_util.h"
#include "ps/wire.h"

namespace ember::ps {

struct PsClient::Impl {
  struct Request {
    MessageType type = MessageType::kHello;
    uint32_t table = 0;
    int dim = 0;
    float* out_rows = nullptr;
    // Pull: positions_by_server[s][j] is the index in the caller's keys of
    // the j-th key sent to server s. Empty with one server (identity).
    std::vector<std::vector<uint32_t>> positions_by_server;
    std::vector<uint64_t> items_by_server;  // keys sent to each server
    std::vector<uint8_t> awaiting;          // 1 while server s has not answered
    int outstanding = 0;
    Status status;
    std::vector<ServerStats>* stats = nullptr;
    bool with_checksums = false;
    std::vector<std::string>* replies = nullptr;  // CHECKPOINT: each server's file list
  };

  Impl(zmq::context_t* context_in, ClientOptions options_in) : context(context_in), options(std::move(options_in)) {}

  int num_servers() const { return static_cast<int>(options.server_endpoints.size()); }
  const sparse::TableConfig* TableById(uint32_t id) const {
    auto it = table_by_id.find(id);
    return it == table_by_id.end() ? nullptr : &options.tables[it->second];
  }

  Status Connect();
  // Registers a request to the servers in `targets` (all when empty), sends
  // header + payload frames to each; returns its ticket.
  // A request to every server; `payload` (may be empty: no frame) goes to each.
  StatusOr<Ticket> StartControl(MessageType type, std::vector<ServerStats>* stats, uint16_t flags = 0,
                                std::string_view payload = {}, uint64_t step = 0);
  Status SendTo(int server, const MessageHeader& header, zmq::message_t* payload0, zmq::message_t* payload1);
  // `partial`: a PUSH that is not its request's last message (kFlagPartial).
  StatusOr<Ticket> StartSplit(MessageType type, uint32_t table, std::span<const Key> keys, const float* grads,
                              float* out_rows, bool create, bool end_of_step, bool partial = false);
  // StartSplit of at most max_keys_per_message keys at a time; one ticket
  // for all of them.
  StatusOr<Ticket> StartChunked(MessageType type, uint32_t table, std::span<const Key> keys, const float* grads,
                                float* out_rows, bool create, bool end_of_step);
  // Waits for a ticket of StartChunked (a group or a single request).
  Status WaitAny(Ticket ticket);
  Status Wait(Ticket ticket);
  Status ReceiveAll(int server);
  void HandleReply(int server, std::vector<zmq::message_t>& frames);
  void Finish(Request& request, int server, const Status& status);
  void BadReply(int server, const Status& why);
  void Release(Request& request);

  zmq::context_t* context;
  ClientOptions options;
  std::unordered_map<uint32_t, size_t> table_by_id;
  TableDimFn table_dim;
  std::vector<std::unique_ptr<zmq::socket_t>> sockets;
  std::vector<zmq::pollitem_t> poll_items;
  bool connected = false;
  uint64_t next_ticket = 1;
  uint64_t step = 0;  // stamped on PULL and PUSH
  std::unordered_map<Ticket, Request> requests;
  // A pull or push sent as several messages (max_keys_per_message): the
  // ticket returned to the caller -> the tickets of its parts.
  std::unordered_map<Ticket, std::vector<Ticket>> groups;
  size_t grouped_parts = 0;  // tickets in `requests` that belong to a group
  // Scratch reused across requests.
  std::vector<int32_t> owners;
  std::vector<std::vector<uint32_t>> spare_positions;
  std::vector<std::string_view> views;
  std::vector<zmq::message_t> frames;
  int64_t bad_replies = 0;
};

Status PsClient::Impl::Connect() {
  if (connected || !sockets.empty()) return Status::FailedPrecondition("PsClient::Connect called twice");
  if (options.server_endpoints.empty()) return Status::InvalidArgument("PsClient: no server endpoints");
  if (options.timeout_ms <= 0) return Status::InvalidArgument("PsClient: timeout_ms = ", options.timeout_ms);
  RETURN_IF_ERROR(sparse::ValidateTableConfigs(options.tables).WithContext("PsClient"));
  for (size_t i = 0; i < options.tables.size(); ++i) table_by_id[options.tables[i].id] = i;
  table_dim = [this](uint32_t id) -> int {
    const sparse::TableConfig* table = TableById(id);
    return table == nullptr ? -1 : table->dim;
  };
  for (int s = 0; s < num_servers(); ++s) {
    const std::string& endpoint = options.server_endpoints[static_cast<size_t>(s)];
    try {
      auto socket = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::dealer);
      socket->set(zmq::sockopt::linger, 0);
      socket->set(zmq::sockopt::sndhwm, 0);
      socket->set(zmq::sockopt::rcvhwm, 0);
      socket->set(zmq::sockopt::sndtimeo, options.timeout_ms);
      Status curve = net::ApplyCurveClient(socket.get(), options.curve);
      if (!curve.ok()) {
        sockets.clear();
        return curve.WithContext("PsClient socket to server " + std::to_string(s));
      }
      socket->connect(endpoint);
      sockets.push_back(std::move(socket));
    } catch (const zmq::error_t& e) {
      sockets.clear();
      return net::ZmqStatus(e, "PsClient connect to server " + std::to_string(s), endpoint);
    }
  }
  for (auto& socket : sockets) poll_items.push_back({static_cast<void*>(*socket), 0, ZMQ_POLLIN, 0});
  ASSIGN_OR_RETURN(Ticket hello, StartControl(MessageType::kHello, nullptr));
  RETURN_IF_ERROR(Wait(hello).WithContext("PsClient HELLO"));
  connected = true;
  return Status::OK();
}

Status PsClient::Impl::SendTo(int server, const MessageHeader& header, zmq::message_t* payload0,
                              zmq::message_t* payload1) {
  zmq::message_t header_frame(kHeaderBytes);
  EncodeHeader(header, static_cast<char*>(header_frame.data()));
  zmq::socket_t& socket = *sockets[static_cast<size_t>(server)];
  try {
    bool sent = socket.send(header_frame, payload0 ? zmq::send_flags::sndmore : zmq::send_flags::none).has_value();
    if (sent && payload0)
      sent = socket.send(*payload0, payload1 ? zmq::send_flags::sndmore : zmq::send_flags::none).has_value();
    if (sent && payload1) sent = socket.send(*payload1, zmq::send_flags::none).has_value();
    if (!sent) {
      return Status::Unavailable("send ", MessageTypeName(header.type), " to server ", server, " (",
                                 options.server_endpoints[static_cast<size_t>(server)], ") timed out after ",
                                 options.timeout_ms, " ms");
    }
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "send " + MessageTypeName(header.type) + " to server " + std::to_string(server),
                          options.server_endpoints[static_cast<size_t>(server)]);
  }
  return Status::OK();
}

StatusOr<Ticket> PsClient::Impl::StartControl(MessageType type, std::vector<ServerStats>* stats, uint16_t flags,
                                              std::string_view payload, uint64_t step) {
  const Ticket ticket = next_ticket++;
  Request& request = requests[ticket];
  request.type = type;
  request.stats = stats;
  request.with_checksums = (flags & kFlagChecksums) != 0;
  request.awaiting.assign(static_cast<size_t>(num_servers()), 1);
  request.outstanding = num_servers();
  for (int s = 0; s < num_servers(); ++s) {
    MessageHeader h = MakeHeader(type, options.job_token, ticket);
    h.flags = flags;
    h.step = step;
    h.item_count = payload.size();
    h.payload_bytes = payload.size();
    zmq::message_t frame(payload.data(), payload.size());
    Status sent = SendTo(s, h, payload.empty() ? nullptr : &frame, nullptr);
    if (!sent.ok()) {
      Release(request);
      requests.erase(ticket);
      return sent;
    }
  }
  return ticket;
}

StatusOr<Ticket> PsClient::Impl::StartSplit(MessageType type, uint32_t table_id, std::span<const Key> keys,
                                            const float* grads, float* out_rows, bool create, bool end_of_step,
                                            bool partial) {
  if (sockets.empty())
    return Status::FailedPrecondition("PsClient: ", MessageTypeName(static_cast<uint16_t>(type)), " before Connect");
  const sparse::TableConfig* table = TableById(table_id);
  if (table == nullptr) {
    return Status::InvalidArgument(MessageTypeName(static_cast<uint16_t>(type)), " of unknown table ", table_id);
  }
  if (keys.size() > UINT32_MAX) return Status::InvalidArgument("too many keys in one request: ", keys.size());
  const size_t n = keys.size();
  const size_t dim = static_cast<size_t>(table->dim);
  const int num = num_servers();
  // A PUSH always has a gradients frame, empty when it has no keys.
  const bool has_grads = type == MessageType::kPush;
  const Ticket ticket = next_ticket++;
  Request& request = requests[ticket];
  request.type = type;
  request.table = table_id;
  request.dim = table->dim;
  request.out_rows = out_rows;
  request.awaiting.assign(static_cast<size_t>(num), 0);
  request.items_by_server.assign(static_cast<size_t>(num), 0);
  if (num == 1) {
    request.items_by_server[0] = n;
  } else {
    owners.resize(n);
    for (size_t i = 0; i < n; ++i) {
      owners[i] = OwnerOfKey(keys[i], num);
      ++request.items_by_server[static_cast<size_t>(owners[i])];
    }
  }
  // Per server: allocate the frames, then gather keys (and gradients) into
  // them directly; the frames are handed to zmq without another copy.
  std::vector<zmq::message_t> key_frames(static_cast<size_t>(num));
  std::vector<zmq::message_t> grad_frames(has_grads ? static_cast<size_t>(num) : 0);
  for (int s = 0; s < num; ++s) {
    const uint64_t items = request.items_by_server[static_cast<size_t>(s)];
    key_frames[static_cast<size_t>(s)].rebuild(items * sizeof(Key));
    if (has_grads) grad_frames[static_cast<size_t>(s)].rebuild(items * dim * sizeof(float));
  }
  if (num == 1) {
    EncodeKeys(keys, static_cast<char*>(key_frames[0].data()));
    if (has_grads) EncodeFloats(grads, n * dim, static_cast<char*>(grad_frames[0].data()));
  } else {
    const bool track_positions = type == MessageType::kPull;
    if (track_positions) {
      request.positions_by_server.resize(static_cast<size_t>(num));
      for (int s = 0; s < num; ++s) {
        auto& positions = request.positions_by_server[static_cast<size_t>(s)];
        if (!spare_positions.empty()) {
          positions = std::move(spare_positions.back());
          spare_positions.pop_back();
        }
        positions.clear();
        positions.reserve(request.items_by_server[static_cast<size_t>(s)]);
      }
    }
    std::vector<size_t> cursor(static_cast<size_t>(num), 0);
    for (size_t i = 0; i < n; ++i) {
      const auto s = static_cast<size_t>(owners[i]);
      const size_t j = cursor[s]++;
      EncodeFixed64(static_cast<char*>(key_frames[s].data()) + j * sizeof(Key), keys[i]);
      if (has_grads) {
        EncodeFloats(grads + i * dim, dim, static_cast<char*>(grad_frames[s].data()) + j * dim * sizeof(float));
      }
      if (track_positions) request.positions_by_server[s].push_back(static_cast<uint32_t>(i));
    }
  }
  for (int s = 0; s < num; ++s) {
    const uint64_t items = request.items_by_server[static_cast<size_t>(s)];
    if (items == 0 && !end_of_step) continue;
    MessageHeader h = MakeHeader(type, options.job_token, ticket);
    h.table_id = table_id;
    h.value_dim = static_cast<uint32_t>(dim);
    h.item_count = items;
    h.aux = static_cast<uint32_t>(options.worker_rank);
    h.step = step;
    if (type == MessageType::kPull && !create) h.flags = kFlagNoCreate;
    if (type == MessageType::kPush && end_of_step) h.flags = kFlagEndOfStep;
    if (type == MessageType::kPush && partial) h.flags |= kFlagPartial;
    zmq::message_t* grad_frame = has_grads ? &grad_frames[static_cast<size_t>(s)] : nullptr;
    h.payload_bytes = key_frames[static_cast<size_t>(s)].size() + (grad_frame ? grad_frame->size() : 0);
    Status sent = SendTo(s, h, &key_frames[static_cast<size_t>(s)], grad_frame);
    if (!sent.ok()) {
      Release(request);
      requests.erase(ticket);
      return sent;
    }
    request.awaiting[static_cast<size_t>(s)] = 1;
    ++request.outstanding;
  }
  return ticket;
}

StatusOr<Ticket> PsClient::Impl::StartChunked(MessageType type, uint32_t table_id, std::span<const Key> keys,
                                              const float* grads, float* out_rows, bool create, bool end_of_step) {
  const size_t chunk = options.max_keys_per_message;
  if (chunk == 0 || keys.size() <= chunk) {
    return StartSplit(type, table_id, keys, grads, out_rows, create, end_of_step);
  }
  const sparse::TableConfig* table = TableById(table_id);
  const size_t dim = table == nullptr ? 0 : static_cast<size_t>(table->dim);
  std::vector<Ticket> parts;
  for (size_t begin = 0; begin < keys.size(); begin += chunk) {
    const size_t count = std::min(chunk, keys.size() - begin);
    const bool last = begin + count == keys.size();
    StatusOr<Ticket> part = StartSplit(
        type, table_id, keys.subspan(begin, count), grads == nullptr ? nullptr : grads + begin * dim,
        out_rows == nullptr ? nullptr : out_rows + begin * dim, create, end_of_step && last, /*partial=*/!last);
    if (!part.ok()) {
      for (Ticket started : parts) Wait(started).IgnoreError();  // nothing may stay in flight
      return part.status();
    }
    parts.push_back(*part);
  }
  const Ticket ticket = next_ticket++;
  grouped_parts += parts.size();
  groups.emplace(ticket, std::move(parts));
  return ticket;
}

Status PsClient::Impl::WaitAny(Ticket ticket) {
  auto group = groups.find(ticket);
  if (group == groups.end()) return Wait(ticket);
  const std::vector<Ticket> parts = std::move(group->second);
  groups.erase(group);
  grouped_parts -= parts.size();
  Status first;
  for (Ticket part : parts) {
    Status status = Wait(part);
    if (first.ok() && !status.ok()) first = status;
  }
  return first;
}

void PsClient::Impl::Release(Request& request) {
  for (auto& positions : request.positions_by_server) spare_positions.push_back(std::move(positions));
  request.positions_by_server.clear();
}

Status PsClient::Impl::Wait(Ticket ticket) {
  auto it = requests.find(ticket);
  if (it == requests.end()) return Status::NotFound("ticket ", ticket, " is not in flight");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
  while (it->second.outstanding > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      std::string missing;
      for (size_t s = 0; s < it->second.awaiting.size(); ++s) {
        if (!it->second.awaiting[s]) continue;
        if (!missing.empty()) missing += ", ";
        missing += std::to_string(s) + " (" + options.server_endpoints[s] + ")";
      }
      const Status status =
          Status::DeadlineExceeded(MessageTypeName(static_cast<uint16_t>(it->second.type)), " ticket ", ticket,
                                   ": no reply within ", options.timeout_ms, " ms from server(s) ", missing);
      Release(it->second);
      requests.erase(it);
      return status;
    }
    try {
      const int ready = zmq::poll(poll_items.data(), poll_items.size(), left);
      if (ready > 0) {
        for (size_t s = 0; s < poll_items.size(); ++s) {
          if (poll_items[s].revents & ZMQ_POLLIN) RETURN_IF_ERROR(ReceiveAll(static_cast<int>(s)));
        }
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return net::ZmqStatus(e, "PsClient poll", "all servers");
    }
    it = requests.find(ticket);  // ReceiveAll may have rehashed
  }
  Status status = it->second.status;
  Release(it->second);
  requests.erase(it);
  return status;
}

Status PsClient::Impl::ReceiveAll(int server) {
  zmq::socket_t& socket = *sockets[static_cast<size_t>(server)];
  for (;;) {
    frames.clear();
    try {
      const auto received = zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait);
      if (!received) return Status::OK();
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return net::ZmqStatus(e, "PsClient recv from server " + std::to_string(server),
                            options.server_endpoints[static_cast<size_t>(server)]);
    }
    HandleReply(server, frames);
  }
}

void PsClient::Impl::BadReply(int server, const Status& why) {
  ++bad_replies;
  if (ShouldLogNth(bad_replies)) {
    LOG(WARNING) << "PsClient dropped a reply from server " << server << " ("
                 << options.server_endpoints[static_cast<size_t>(server)] << "): " << why
                 << " [bad replies so far: " << bad_replies << "]";
  }
}

void PsClient::Impl::Finish(Request& request, int server, const Status& status) {
  if (!status.ok() && request.status.ok()) request.status = status;
  request.awaiting[static_cast<size_t>(server)] = 0;
  --request.outstanding;
}

void PsClient::Impl::HandleReply(int server, std::vector<zmq::message_t>& reply) {
  views.clear();
  for (auto& frame : reply) views.emplace_back(static_cast<const char*>(frame.data()), frame.size());
  MessageHeader h;
  bool authenticated = false;
  Status parsed = ParseMessage(views, options.job_token, table_dim, &h, &authenticated);
  if (!authenticated) return BadReply(server, parsed);
  auto it = requests.find(h.request_id);
  if (it == requests.end() || !it->second.awaiting[static_cast<size_t>(server)]) {
    VLOG(1) << "PsClient: dropped a reply to request_id " << h.request_id << " from server " << server
            << " that is not awaited (late after a timeout, or a duplicate)";
    return;
  }
  Request& request = it->second;
  if (!parsed.ok()) {
    BadReply(server, parsed);
    return Finish(request, server, Status::DataLoss("malformed reply from server ", server, ": ", parsed.message()));
  }
  if (h.type != static_cast<uint16_t>(ReplyTypeOf(request.type))) {
    const Status wrong =
        Status::DataLoss("server ", server, " answered ", MessageTypeName(static_cast<uint16_t>(request.type)),
                         " request_id ", h.request_id, " with ", MessageTypeName(h.type));
    BadReply(server, wrong);
    return Finish(request, server, wrong);
  }
  if (h.status_code != 0) {
    return Finish(request, server, Status(static_cast<StatusCode>(h.status_code), std::string(views[1])));
  }
  const auto s = static_cast<size_t>(server);
  switch (request.type) {
    case MessageType::kHello: {
      if (h.aux != static_cast<uint32_t>(server)) {
        return Finish(request, server,
                      Status::FailedPrecondition("endpoint ", server, " (", options.server_endpoints[s],
                                                 ") is served by server rank ", h.aux,
                                                 "; server_endpoints must be in rank order"));
      }
      const char* entries = views[1].data();
      for (const sparse::TableConfig& table : options.tables) {
        bool found = false;
        for (uint64_t e = 0; e < h.item_count; ++e) {
          const char* entry = entries + e * kHelloTableEntryBytes;
          if (DecodeFixed32(entry) != table.id) continue;
          found = true;
          const uint32_t dim = DecodeFixed32(entry + 4);
          if (dim != static_cast<uint32_t>(table.dim)) {
            return Finish(request, server,
                          Status::FailedPrecondition("table ", table.id, " ('", table.name, "') has dim ", table.dim,
                                                     " here but ", dim, " on server ", server));
          }
        }
        if (!found) {
          return Finish(
              request, server,
              Status::FailedPrecondition("server ", server, " has no table ", table.id, " ('", table.name, "')"));
        }
      }
      return Finish(request, server, Status::OK());
    }
    case MessageType::kPull: {
      const uint64_t want = request.items_by_server[s];
      if (h.table_id != request.table || h.item_count != want) {
        return Finish(request, server,
                      Status::DataLoss("server ", server, " PULL_REPLY for table ", h.table_id, " with ", h.item_count,
                                       " rows; asked table ", request.table, " for ", want));
      }
      const size_t dim = static_cast<size_t>(request.dim);
      const char* values = views[1].data();
      if (request.positions_by_server.empty()) {
        DecodeFloats(values, want * dim, request.out_rows);
      } else {
        const auto& positions = request.positions_by_server[s];
        for (size_t j = 0; j < positions.size(); ++j) {
          DecodeFloats(values + j * dim * sizeof(float), dim, request.out_rows + positions[j] * dim);
        }
      }
      return Finish(request, server, Status::OK());
    }
    case MessageType::kPush:
      if (h.item_count != request.items_by_server[s]) {
        return Finish(request, server,
                      Status::DataLoss("server ", server, " applied ", h.item_count, " of ", request.items_by_server[s],
                                       " pushed rows"));
      }
      return Finish(request, server, Status::OK());
    case MessageType::kStats: {
      ServerStats& out = (*request.stats)[s];
      const char* p = views[1].data();
      out.rejected_messages = static_cast<int64_t>(DecodeFixed64(p));
      out.pulls = static_cast<int64_t>(DecodeFixed64(p + 8));
      out.pushes = static_cast<int64_t>(DecodeFixed64(p + 16));
      out.rows_per_table.clear();
      out.checksum_per_table.clear();
      const uint64_t entries = h.item_count - kStatsFixedEntries;
      if (request.with_checksums && entries % 2 != 0) {
        return Finish(request, server,
                      Status::DataLoss("server ", server, " STATS_REPLY with ", entries,
                                       " table entries; want rows and checksums of each table"));
      }
      const uint64_t num_tables = request.with_checksums ? entries / 2 : entries;
      for (uint64_t i = 0; i < num_tables; ++i) {
        out.rows_per_table.push_back(static_cast<int64_t>(DecodeFixed64(p + 8 * (kStatsFixedEntries + i))));
        if (request.with_checksums) {
          out.checksum_per_table.push_back(DecodeFixed64(p + 8 * (kStatsFixedEntries + num_tables + i)));
        }
      }
      return Finish(request, server, Status::OK());
    }
    case MessageType::kShutdown:
      return Finish(request, server, Status::OK());
    case MessageType::kCheckpoint:
      (*request.replies)[s] = std::string(views[1]);
      return Finish(request, server, Status::OK());
    default:
      return Finish(request, server, Status::Internal("unexpected request type"));
  }
}

PsClient::PsClient(zmq::context_t* context, ClientOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(options))) {}

PsClient::~PsClient() = default;

Status PsClient::Connect() { return impl_->Connect(); }

StatusOr<Ticket> PsClient::Pull(uint32_t table, std::span<const Key> keys, float* out_rows, bool create) {
  if (out_rows == nullptr && !keys.empty()) return Status::InvalidArgument("PULL of table ", table, ": null out_rows");
  return impl_->StartChunked(MessageType::kPull, table, keys, nullptr, out_rows, create, /*end_of_step=*/false);
}

StatusOr<Ticket> PsClient::Push(uint32_t table, std::span<const Key> keys, std::span<const float> grads,
                                bool end_of_step) {
  const sparse::TableConfig* config = impl_->TableById(table);
  if (config != nullptr && grads.size() != keys.size() * static_cast<size_t>(config->dim)) {
    return Status::InvalidArgument("PUSH of table ", table, ": ", grads.size(), " gradient floats for ", keys.size(),
                                   " keys of dim ", config->dim);
  }
  return impl_->StartChunked(MessageType::kPush, table, keys, grads.data(), nullptr, true, end_of_step);
}

void PsClient::set_step(uint64_t step) { impl_->step = step; }

Status PsClient::Wait(Ticket ticket) { return impl_->WaitAny(ticket); }

Status PsClient::ShutdownServers() {
  if (impl_->sockets.empty()) return Status::FailedPrecondition("PsClient: ShutdownServers before Connect");
  ASSIGN_OR_RETURN(Ticket ticket, impl_->StartControl(MessageType::kShutdown, nullptr));
  return impl_->Wait(ticket).WithContext("SHUTDOWN");
}

StatusOr<std::vector<std::string>> PsClient::Checkpoint(uint64_t step, const std::string& dir) {
  if (impl_->sockets.empty()) return Status::FailedPrecondition("PsClient: Checkpoint before Connect");
  if (dir.empty() || dir.size() > kMaxCheckpointPathBytes) {
    return Status::InvalidArgument("CHECKPOINT directory of ", dir.size(), " bytes: want 1..", kMaxCheckpointPathBytes);
  }
  std::vector<std::string> replies(static_cast<size_t>(impl_->num_servers()));
  ASSIGN_OR_RETURN(Ticket ticket, impl_->StartControl(MessageType::kCheckpoint, nullptr, 0, dir, step));
  impl_->requests[ticket].replies = &replies;
  RETURN_IF_ERROR(impl_->Wait(ticket).WithContext("CHECKPOINT of step " + std::to_string(step)));
  return replies;
}

StatusOr<std::vector<ServerStats>> PsClient::Stats(bool with_checksums) {
  if (impl_->sockets.empty()) return Status::FailedPrecondition("PsClient: Stats before Connect");
  std::vector<ServerStats> stats(static_cast<size_t>(impl_->num_servers()));
  ASSIGN_OR_RETURN(Ticket ticket,
                   impl_->StartControl(MessageType::kStats, &stats, with_checksums ? kFlagChecksums : uint16_t{0}));
  RETURN_IF_ERROR(impl_->Wait(ticket).WithContext("STATS"));
  return stats;
}

int PsClient::num_servers() const { return impl_->num_servers(); }

size_t PsClient::in_flight() const { return impl_->requests.size() - impl_->grouped_parts + impl_->groups.size(); }

}  // namespace ember::ps
