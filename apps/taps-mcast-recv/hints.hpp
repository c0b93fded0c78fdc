// What to check when nothing arrives, measured on the host the tool runs on: the
// kernel's reverse-path drop counter and rp_filter values, a forced IGMP/MLD version,
// an SSM group without a source, a loopback that is down, and the route toward the
// source (not toward the group, which says nothing for SSM).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taps_mcast_recv {

// Lines for stderr (and `hint` events). `interface_name` is where the join happened.
std::vector<std::string> silence_hints(const std::string& group, const std::vector<std::string>& sources,
                                       const std::string& interface_name);

// Warnings at join time, before anything could arrive: an SSM join on an interface
// whose IGMP/MLD version is forced to one without sources (v1/v2 IGMP, v1 MLD) goes
// out as an ASM join; an SSM-range group without a source.
std::vector<std::string> join_warnings(const std::string& group, const std::vector<std::string>& sources,
                                       const std::string& interface_name);

// The kernel's IPReversePathFilter counter (/proc/net/netstat), nullopt if unreadable.
std::optional<std::uint64_t> reverse_path_drops();

// Datagrams the kernel dropped at this process's UDP sockets because their receive
// buffers were full (the "drops" of /proc/net/udp and udp6, the counter SO_RXQ_OVFL
// reports), nullopt if unreadable.
std::optional<std::uint64_t> own_socket_drops();

// True for 232.0.0.0/8 and ff3x::/32 (RFC 4607): groups that only SSM delivers.
bool is_ssm_range(const std::string& group);

}  // namespace taps_mcast_recv
