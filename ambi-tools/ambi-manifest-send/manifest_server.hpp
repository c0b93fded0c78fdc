// Serves `ambi+tls` (draft-ietf-mboned-ambi-05 section 4): a TLS 1.3 Listener through
// libtaps; every verifier that connects gets the manifests published from then on, back
// to back, preceded by the recent ones still within the digest hold time. Verifiers send
// nothing. A verifier whose unsent backlog passes the bound is cut off (aborted), so a
// slow reader never makes the sender's memory grow.
//
// Everything runs on the taps::Context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taps/context.hpp"
#include "taps/listener.hpp"

namespace ambi_manifest_send {

struct ServerConfig {
  std::string host;  // empty: every address
  std::uint16_t port = 0;
  std::string cert_file, key_file;
  std::size_t max_backlog = 4 << 20;  // bytes queued for one verifier before it is cut off
  std::chrono::milliseconds history{10000};  // manifests this recent go to a new verifier
  std::size_t max_history_bytes = 4 << 20;
};

struct ServerHandlers {
  std::function<void(const std::string& local)> listening;            // "ADDR:PORT"
  std::function<void(const taps::Error&)> failed;                     // Listen failed
  // A verifier's life: "connected", "cut_off" (with the backlog), "closed", "error".
  std::function<void(const std::string& state, const std::string& peer, const std::string& detail)> verifier;
};

class ManifestServer {
 public:
  ManifestServer(taps::Context& ctx, ServerConfig config, ServerHandlers handlers);
  ~ManifestServer();
  ManifestServer(const ManifestServer&) = delete;
  ManifestServer& operator=(const ManifestServer&) = delete;

  // Listens; a configuration error (bad certificate file) comes back at once.
  std::optional<taps::Error> start();
  // Sends one manifest to every verifier and keeps it for those that come later.
  void publish(std::vector<std::uint8_t> manifest);
  // Calls `done` once every verifier has everything published so far on the wire, or
  // after `limit`, whichever comes first.
  void when_flushed(std::chrono::milliseconds limit, std::function<void()> done);
  // Stops listening and closes every verifier.
  void stop();

 private:
  struct Verifier;
  struct Waiter;
  taps::ConnectionHandlers on_verifier(taps::Connection c);
  void send(Verifier& v, std::vector<std::uint8_t> bytes);
  void remove(Verifier* v);
  void check_flushed();

  taps::Context& ctx_;
  ServerConfig config_;
  ServerHandlers handlers_;
  taps::Listener listener_;
  std::list<std::unique_ptr<Verifier>> verifiers_;
  struct Past {
    std::chrono::steady_clock::time_point at;
    std::vector<std::uint8_t> bytes;
  };
  std::deque<Past> history_;
  std::size_t history_bytes_ = 0;
  std::unique_ptr<Waiter> flushed_;
};

}  // namespace ambi_manifest_send
