// Serves `ambi+tls` (draft-ietf-mboned-ambi-05 section 4): a TLS 1.3 Listener through
// libtaps; every verifier that connects gets the manifests published from then on, back
// to back, preceded by the recent ones (within the digest hold time). Verifiers send
// nothing.
//
// Memory stays bounded however many verifiers connect and however slowly they read
// (DESIGN.md 6.5): every published manifest is kept once, in a history shared by all
// verifiers; each verifier has a position in it and at most `window` bytes handed to
// its Connection. A verifier more than `max_backlog` bytes behind what was published is
// cut off (aborted); a new one starts at most half that far back, so the history alone
// never cuts it off. At most `max_verifiers` are served at once; more are refused.
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
  std::size_t max_backlog = 4 << 20;         // bytes a verifier may lag before it is cut off
  std::chrono::milliseconds history{10000};  // manifests this recent go to a new verifier
  std::size_t window = 64 << 10;             // bytes handed to one verifier's Connection at a time
  std::size_t max_verifiers = 4096;
};

struct ServerHandlers {
  std::function<void(const std::string& local)> listening;            // "ADDR:PORT"
  std::function<void(const taps::Error&)> failed;                     // Listen failed
  // A verifier's life: "connected", "cut_off" (with the backlog), "refused" (too many),
  // "closed", "error".
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

  std::size_t verifiers() const { return verifiers_.size(); }
  std::uint64_t refused() const { return refused_; }
  // Bytes of manifests kept for verifiers (shared by all of them).
  std::size_t history_bytes() const { return history_bytes_; }

 private:
  struct Verifier;
  struct Waiter;
  struct Past {
    std::chrono::steady_clock::time_point at;
    std::uint64_t start;  // offset of its first byte in everything ever published
    std::shared_ptr<const std::vector<std::uint8_t>> bytes;
  };
  taps::ConnectionHandlers on_verifier(taps::Connection c);
  void pump(Verifier& v);
  void cut_off(Verifier& v);
  void trim_history(std::chrono::steady_clock::time_point now);
  void remove(Verifier* v);
  void check_flushed();

  taps::Context& ctx_;
  ServerConfig config_;
  ServerHandlers handlers_;
  taps::Listener listener_;
  std::list<std::unique_ptr<Verifier>> verifiers_;
  std::deque<Past> history_;
  std::uint64_t history_front_ = 0;  // the index of history_.front() among all manifests published
  std::uint64_t published_ = 0;      // bytes published, ever
  std::size_t history_bytes_ = 0;
  std::uint64_t refused_ = 0;
  std::unique_ptr<Waiter> flushed_;
};

}  // namespace ambi_manifest_send
