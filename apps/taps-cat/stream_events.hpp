// taps-cat --json for QUIC streams: which group and stream an event concerns, and the
// QUIC connection's statistics when a stream closes. Other stacks add nothing, so their
// event shapes (testdata/golden/) stay as they are.
#pragma once

#include "common/event_log.hpp"
#include "taps/connection.hpp"

namespace taps_cat {

// Appends "group" and "stream" when `c` is a stream of a QUIC connection.
void add_stream_fields(taps::apps::EventFields& fields, const taps::Connection& c);
// The "statistics" event (RTT, congestion window, bytes in flight, packets lost) of the
// QUIC connection that carried `c`; nothing on other stacks.
void emit_statistics(const taps::apps::EventLog& log, const taps::Connection& c);

}  // namespace taps_cat
