#include "taps-cat/stream_events.hpp"

namespace taps_cat {

using taps::apps::EventFields;

void add_stream_fields(EventFields& fields, const taps::Connection& c) {
  auto stream = c.stream_id();
  if (!stream) return;
  fields.emplace_back("group", static_cast<std::int64_t>(c.group_id()));
  fields.emplace_back("stream", std::int64_t{*stream});
}

void emit_statistics(const taps::apps::EventLog& log, const taps::Connection& c) {
  if (!log.enabled()) return;
  auto stats = c.statistics();
  if (!stats) return;
  EventFields fields;
  add_stream_fields(fields, c);
  fields.insert(fields.end(), {{"smoothed_rtt_us", static_cast<std::int64_t>(stats->smoothed_rtt.count())},
                               {"min_rtt_us", static_cast<std::int64_t>(stats->min_rtt.count())},
                               {"cwnd", static_cast<std::int64_t>(stats->congestion_window)},
                               {"bytes_in_flight", static_cast<std::int64_t>(stats->bytes_in_flight)},
                               {"packets_lost", static_cast<std::int64_t>(stats->packets_lost)}});
  log.emit("statistics", fields);
}

}  // namespace taps_cat
