#include "taps-mcast-send/responder.hpp"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "common/exit_codes.hpp"
#include "common/number_text.hpp"
#include "common/ping_message.hpp"
#include "common/stop_signals.hpp"
#include "taps/context.hpp"
#include "taps/timer.hpp"

namespace taps_mcast_send {
namespace {

using namespace taps::apps;
using Clock = std::chrono::steady_clock;

// Clients and multicast flows are forgotten after this long without a request, and
// bounded in number: a responder runs for months and answers whoever asks.
constexpr auto idle_after = std::chrono::seconds(60);
constexpr std::size_t max_clients = 1024;
constexpr std::size_t max_flows = 64;
constexpr int receive_window = 8;

std::optional<std::uint16_t> port_of(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return parse_port(std::string_view(endpoint).substr(colon + 1));
}

class Responder {
 public:
  Responder(const Options& o, const EventLog& log)
      : o_(o), log_(log),
        stop_signals_(ctx_, [this](int signo) { end(128 + signo); },
                      [this](int signo) {
                        exit_code_ = 128 + signo;
                        ctx_.stop();
                      }),
        reap_timer_(ctx_) {}

  int run() {
    if (!listen()) return *exit_code_;
    reap_timer_.start_periodic(idle_after / 4, [this] {
      forget_idle(clients_, Clock::now());
      forget_idle(flows_, Clock::now());
    });
    ctx_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  struct Client {
    taps::Connection connection;
    Clock::time_point last;
  };
  // (source, group, client port): one multicast send Connection each.
  using FlowKey = std::tuple<std::string, std::string, std::uint16_t>;
  struct Flow {
    taps::Connection connection;  // empty once it failed
    Clock::time_point last;
    // Why it failed: told to the client in each unicast answer until the flow is
    // forgotten (idle) and tried again.
    std::string error;
  };

  const Stream& first() const { return o_.streams.front(); }

  std::string served() const {
    std::string list;
    for (const auto& s : o_.streams) {
      list += (list.empty() ? "" : ", ") + (s.target.source.empty() ? s.target.group : s.target.source + "@" + s.target.group);
    }
    return list;
  }

  bool listen() {
    taps::Preconnection p;
    taps::LocalEndpoint local;
    local.with_port(first().target.port);
    // On a host with several addresses the answer must come from the one the client
    // asked, or its connected socket drops it: --source pins it.
    if (!first().target.source.empty()) local.with_ip_address(first().target.source);
    p.local_endpoints() = {local};
    p.transport_properties().set("reliability", taps::Preference::prohibit);
    taps::ListenerHandlers h;
    h.listening = [this](const std::vector<taps::ListeningEndpoint>& locals) {
      std::string list;
      for (const auto& l : locals) list += (list.empty() ? "" : ",") + l.local;
      log_.emit("listening", {{"local", list}, {"groups", served()}});
    };
    h.establishment_error = [this](const taps::Error& e) {
      log_.error(fmt::format("cannot answer probes: {}", e.message()));
      end(exit_code_for_establishment(e.code));
    };
    h.connection_received = [this](taps::Connection c) { return on_client(std::move(c)); };
    auto listener = p.listen(ctx_, std::move(h));
    if (!listener) {
      log_.error(fmt::format("cannot answer probes: {}", listener.error().message()));
      exit_code_ = exit_code_for_establishment(listener.error().code);
      return false;
    }
    listener_ = *listener;
    return true;
  }

  taps::ConnectionHandlers on_client(taps::Connection c) {
    auto key = c.remote_endpoint();
    if (clients_.size() >= max_clients) forget_oldest(clients_);
    clients_[key] = {c, Clock::now()};
    taps::ConnectionHandlers h;
    h.received = [this, key, c](taps::Message m, taps::MessageContext) mutable {
      on_request(key, c, m);
      if (!ending_) c.receive();
    };
    h.connection_error = [this, key](const taps::Error&) { clients_.erase(key); };
    for (int i = 0; i < receive_window; ++i) c.receive();
    return h;
  }

  const Stream* serving(const PingMessage& request) const {
    for (const auto& s : o_.streams) {
      if (s.target.group == request.group && (s.target.source.empty() || s.target.source == request.source)) return &s;
    }
    return nullptr;
  }

  void on_request(const std::string& client, taps::Connection& c, const taps::Message& m) {
    auto request = decode_ping_message({m.data(), m.size()});
    if (!request || request->kind != PingMessage::Kind::request || ending_) return;
    if (auto it = clients_.find(client); it != clients_.end()) it->second.last = Clock::now();
    auto answer = *request;
    const auto* stream = serving(*request);
    auto port = port_of(client);
    if (!stream || !port) {
      answer.kind = PingMessage::Kind::refusal;
      answer.detail = fmt::format("{}@{} is not served here (this responder answers for {})", request->source,
                                  request->group, served());
      c.send(taps::Message(encode(answer)));
      log_.emit("refused", {{"client", client}, {"group", request->group}, {"reason", answer.detail}});
      return;
    }
    auto& flow = flow_for(*stream, request->source, request->group, *port);
    answer.kind = PingMessage::Kind::unicast_answer;
    answer.detail = flow.error;
    c.send(taps::Message(encode(answer)));
    if (flow.connection) {
      answer.kind = PingMessage::Kind::multicast_answer;
      answer.detail.clear();
      answer.hop_limit = static_cast<std::uint8_t>(stream->preconnection.transport_properties().multicast_hop_limit);
      flow.connection.send(taps::Message(encode(answer)));
    }
    log_.emit("answer", {{"client", client}, {"seq", static_cast<std::int64_t>(request->seq)},
                         {"source", request->source}, {"group", request->group},
                         {"multicast", static_cast<bool>(flow.connection)}});
  }

  // The multicast Connection toward G and the client's port, from S: the stream's
  // Preconnection (interface, hop limit, loopback) aimed there.
  Flow& flow_for(const Stream& stream, const std::string& source, const std::string& group, std::uint16_t port) {
    FlowKey key{source, group, port};
    if (auto it = flows_.find(key); it != flows_.end()) {
      it->second.last = Clock::now();
      return it->second;
    }
    if (flows_.size() >= max_flows) forget_oldest(flows_);
    auto& flow = flows_[key] = {{}, Clock::now(), {}};
    auto p = stream.preconnection;
    taps::RemoteEndpoint remote;
    remote.with_ip_address(group).with_port(port);
    p.remote_endpoints() = {remote};
    taps::LocalEndpoint local = p.local_endpoints().empty() ? taps::LocalEndpoint{} : p.local_endpoints().front();
    local.with_ip_address(source);
    p.local_endpoints() = {local};
    taps::ConnectionHandlers h;
    auto fail = [this, key](const taps::Error& e) {
      auto it = flows_.find(key);
      if (it == flows_.end()) return;
      it->second.error = "cannot answer by multicast: " + e.message();
      log_.warning(it->second.error);
      it->second.connection.close();
      it->second.connection = {};
    };
    h.establishment_error = fail;
    h.connection_error = fail;
    h.send_error = [this](const taps::MessageContext&, const taps::Error& e) { log_.warning(e.message()); };
    auto c = p.initiate(ctx_, std::move(h));
    if (!c) {
      flow.error = "cannot answer by multicast: " + c.error().message();
      log_.warning(flow.error);
    } else {
      flow.connection = *c;
    }
    return flow;
  }

  template <class Map>
  static void forget_oldest(Map& map) {
    auto oldest = std::min_element(map.begin(), map.end(),
                                   [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
    if (oldest == map.end()) return;
    if (oldest->second.connection) oldest->second.connection.close();
    map.erase(oldest);
  }

  template <class Map>
  static void forget_idle(Map& map, Clock::time_point now) {
    for (auto it = map.begin(); it != map.end();) {
      if (now - it->second.last < idle_after) {
        ++it;
        continue;
      }
      if (it->second.connection) it->second.connection.close();
      it = map.erase(it);
    }
  }

  void end(int code) {
    if (ending_) return;
    ending_ = true;
    exit_code_ = code;
    stop_signals_.ending();
    reap_timer_.cancel();
    if (listener_) listener_.stop();
    for (auto& [key, c] : clients_) c.connection.close();
    for (auto& [key, f] : flows_) {
      if (f.connection) f.connection.close();
    }
    clients_.clear();
    flows_.clear();
    // The Connections deliver closed on later turns of the loop; then nothing is left.
    ctx_.post([this] { ctx_.stop(); });
  }

  const Options& o_;
  const EventLog& log_;
  taps::Context ctx_;
  StopSignals stop_signals_;
  taps::Timer reap_timer_;
  taps::Listener listener_;
  std::map<std::string, Client> clients_;
  std::map<FlowKey, Flow> flows_;
  bool ending_ = false;
  std::optional<int> exit_code_;
};

}  // namespace

int run_responder(const Options& o, EventLog& log) {
  Responder responder(o, log);
  return responder.run();
}

}  // namespace taps_mcast_send
