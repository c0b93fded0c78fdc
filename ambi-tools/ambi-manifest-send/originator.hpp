// --originate: stdin becomes the multicast stream: datagrams of exactly --packet-size
// bytes (or one per line with --lines; see DatagramCutter) from S to G:PORT; each
// datagram's digest is published (in a manifest) before the datagram is sent, paced at
// --rate. Reading stops while enough packets wait.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "ambi-manifest-send/datagram_cutter.hpp"
#include "ambi-manifest-send/options.hpp"
#include "ambi-manifest-send/publisher.hpp"
#include "ambi/digest.hpp"
#include "common/fd_stream.hpp"
#include "taps/connection.hpp"
#include "taps/context.hpp"
#include "taps/timer.hpp"

namespace ambi_manifest_send {

class Originator {
 public:
  struct Handlers {
    Publisher::Publish publish;
    std::function<void(const std::string& local)> sending;  // the send Connection is ready, from "ADDR:PORT"
    std::function<void()> done;                    // stdin ended and every packet is sent
    std::function<void(int exit_code, const taps::Error&)> failed;
  };

  Originator(taps::Context& ctx, const Options& o, Handlers handlers);
  void start();
  void stop();
  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::size_t lookahead() const;
  void read_more();
  void on_stdin(std::error_code ec, std::vector<std::uint8_t> data);
  bool add_datagram(std::vector<std::uint8_t> datagram);
  void on_published(std::vector<std::uint8_t> manifest, const ambi::ManifestHeader& header);
  void pump();
  void check_done();
  std::size_t queued() const { return waiting_.size() + ready_.size(); }

  taps::Context& ctx_;
  const Options& o_;
  Handlers handlers_;
  std::shared_ptr<taps::apps::FdReader> in_;
  taps::Connection connection_;
  ambi::PacketHasher hasher_;
  ambi::PacketEndpoints endpoints_;
  Publisher publisher_;
  DatagramCutter cutter_;
  taps::Timer pace_timer_;
  std::deque<taps::Message> waiting_;  // digests not yet published
  std::deque<taps::Message> ready_;    // published: may be sent
  std::size_t in_flight_ = 0;
  std::chrono::steady_clock::time_point next_send_;
  bool reading_ = false, eof_ = false, stopped_ = false;
  std::uint64_t packets_ = 0, bytes_ = 0;
};

}  // namespace ambi_manifest_send
