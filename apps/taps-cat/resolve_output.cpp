#include "taps-cat/resolve_output.hpp"

#include <nlohmann/json.hpp>

namespace taps_cat {
namespace {

template <class Endpoint>
nlohmann::ordered_json endpoints(const std::vector<Endpoint>& list) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& e : list) {
    auto j = nlohmann::ordered_json::object();
    if (e.host_name()) j["hostName"] = *e.host_name();
    if (e.ip_address()) j["ipAddress"] = *e.ip_address();
    if (e.port()) j["port"] = *e.port();
    if (e.interface_name()) j["interface"] = *e.interface_name();
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

std::string resolved_json(const taps::ResolvedEndpoints& resolved) {
  nlohmann::ordered_json j;
  j["localEndpoints"] = endpoints(resolved.local);
  j["remoteEndpoints"] = endpoints(resolved.remote);
  return j.dump();
}

}  // namespace taps_cat
