#include "racing/candidate_tree.hpp"

#include <algorithm>

namespace taps::detail {
namespace {

Preference preference_of(const std::map<std::string, Preference>& preferences, const std::string& name) {
  auto it = preferences.find(name);
  return it == preferences.end() ? Preference::no_preference : it->second;
}

// Byte streams race each other (tcp, tls/tcp, quic); datagrams race only datagrams.
bool same_transport(Stack a, Stack b) { return (a == Stack::udp) == (b == Stack::udp); }

}  // namespace

std::vector<std::string> order_paths(const std::map<std::string, Preference>& preferences,
                                     const std::vector<HostInterface>& host) {
  std::vector<std::string> required, preferred, neutral, avoided;
  bool needs_binding = false;
  for (const auto& [name, p] : preferences) {
    switch (p) {
      case Preference::require: required.push_back(name); break;
      case Preference::prefer: preferred.push_back(name); break;
      case Preference::no_preference: break;
      case Preference::avoid: avoided.push_back(name); needs_binding = true; break;
      case Preference::prohibit: needs_binding = true; break;
    }
  }
  if (!required.empty()) return required;
  if (!needs_binding) {
    preferred.emplace_back();
    return preferred;
  }
  for (const auto& i : host) {
    if (i.loopback || preferences.contains(i.name)) continue;
    neutral.push_back(i.name);
  }
  for (const auto& [name, p] : preferences) {
    if (p == Preference::no_preference) neutral.push_back(name);
  }
  std::vector<std::string> paths = std::move(preferred);
  paths.insert(paths.end(), neutral.begin(), neutral.end());
  paths.insert(paths.end(), avoided.begin(), avoided.end());
  return paths;
}

bool paths_use_host_interfaces(const std::map<std::string, Preference>& preferences) {
  bool required = false, binding = false;
  for (const auto& [name, p] : preferences) {
    required = required || p == Preference::require;
    binding = binding || p == Preference::avoid || p == Preference::prohibit;
  }
  return binding && !required;
}

std::vector<Candidate> build_candidate_tree(const std::vector<std::string>& paths, const std::vector<Stack>& stacks,
                                            const std::vector<RemoteAddress>& addresses,
                                            const std::map<std::string, Preference>& preferences, int family,
                                            int first_family_count) {
  bool any_required = std::any_of(preferences.begin(), preferences.end(),
                                  [](const auto& entry) { return entry.second == Preference::require; });
  std::vector<Candidate> leaves;
  for (const auto& path : paths) {
    for (auto stack : stacks) {
      std::vector<Candidate> branch;
      for (const auto& a : addresses) {
        if (!a.interface_name.empty()) {
          auto p = preference_of(preferences, a.interface_name);
          if (p == Preference::prohibit || (any_required && p != Preference::require)) continue;
          if (!path.empty() && path != a.interface_name) continue;
        }
        auto bound = a.interface_name.empty() ? path : a.interface_name;
        branch.push_back({stack, a.address, a.port, a.host_name, bound});
      }
      for (auto& leaf : order_candidates(branch, family, first_family_count)) {
        if (std::find(leaves.begin(), leaves.end(), leaf) == leaves.end()) leaves.push_back(std::move(leaf));
      }
    }
  }
  return leaves;
}

std::vector<Stack> racing_stacks(const std::vector<Stack>& selected) {
  std::vector<Stack> stacks;
  for (auto s : selected) {
    if (stacks.empty() || same_transport(stacks.front(), s)) stacks.push_back(s);
  }
  return stacks;
}

}  // namespace taps::detail
