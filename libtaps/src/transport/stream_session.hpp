// A connection that carries several streams, each the Transport of one Connection: a
// QUIC connection (DESIGN.md section 10). Core's connection group drives it through
// this interface, so that Clone, CloseGroup and AbortGroup (RFC 9622 section 7.4) map
// onto streams without core naming QUIC. Reached from any of its streams through
// Transport::session().
#pragma once

#include <functional>
#include <memory>

#include "taps/error.hpp"

namespace taps::detail {

class Transport;

class StreamSession {
 public:
  virtual ~StreamSession() = default;

  // A new stream of ours, bidirectional or unidirectional (we send, the peer receives);
  // an error when the connection is ending or the peer allows no more streams now.
  virtual Result<std::shared_ptr<Transport>> open_stream(bool bidirectional) = 0;
  // Who takes the streams the peer opens from now on: the handler starts the Transport
  // and returns true, or returns false and the stream is read and thrown away (so that
  // it holds no flow-control credit: an HTTP/3 server's control streams).
  virtual void on_peer_stream(std::function<bool(std::shared_ptr<Transport>)> handler) = 0;
  // Closes the connection (CONNECTION_CLOSE, no error) once every stream in use is done.
  virtual void close_when_done() = 0;
  // Closes the connection at once with an application error; its streams report nothing
  // more.
  virtual void abort() = 0;

 protected:
  StreamSession() = default;
  StreamSession(const StreamSession&) = delete;
  StreamSession& operator=(const StreamSession&) = delete;
};

}  // namespace taps::detail
