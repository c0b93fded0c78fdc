// InitiateWithSend (RFC 9622 7.2) and safelyReplayable (9.1.3.4): the first message goes
// first, and rides in the SYN (TCP Fast Open) only when it may be replayed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

taps::MessageContext replayable(bool yes) {
  taps::MessageContext ctx;
  ctx.safely_replayable = yes;
  return ctx;
}

// One connection to a fresh WireRecorder: InitiateWithSend(`first`), then `rest` and the end.
// Returns what the server received. Only REQUIRE (it throws): it runs in a child process.
std::string exchange(const std::string& first, bool safely_replayable, const std::string& rest) {
  taps::Context ctx;
  test::WireRecorder server(ctx);
  auto pre = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(server.port)});
  std::vector<taps::MessageId> sent;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext& m) { sent.push_back(m.id); };
  h.send_error = [](const taps::MessageContext&, const taps::Error& e) { FAIL("send_error: " << e.message()); };
  auto c = pre.initiate_with_send(ctx, taps::Message(first), replayable(safely_replayable), h);
  REQUIRE(c);
  taps::MessageContext fin;
  fin.final = true;
  c->send(taps::Message(rest), fin);
  REQUIRE(test::run_for(ctx, 10s));
  REQUIRE(server.ended);
  REQUIRE(sent.size() == 2);
  c->abort();
  test::run_for(ctx, 100ms);
  return server.bytes;
}

// The TcpExt counters of this process's network namespace.
std::map<std::string, long> tcp_ext() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values, line;
  while (std::getline(in, line)) {
    if (line.rfind("TcpExt:", 0) != 0) continue;
    if (names.empty()) names = line;
    else values = line;
  }
  std::istringstream n(names), v(values);
  std::map<std::string, long> counters;
  std::string name, value;
  while (n >> name && v >> value) {
    if (name != "TcpExt:") counters[name] = std::stol(value);
  }
  return counters;
}

bool loopback_up() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  ::close(fd);
  return ok;
}

// In a network namespace of its own: "" when everything held, else what did not.
std::string fast_open_scenario() {
  if (!loopback_up()) return "cannot bring lo up";
  {
    std::ofstream sysctl("/proc/sys/net/ipv4/tcp_fastopen");
    sysctl << "3\n";
    if (!sysctl.flush()) return "cannot set net.ipv4.tcp_fastopen";
  }
  if (exchange("cookie", true, "!") != "cookie!") return "cookie connection: wrong bytes";
  auto before = tcp_ext();
  if (exchange("not replayable", false, "!") != "not replayable!") return "plain connection: wrong bytes";
  auto after_plain = tcp_ext();
  if (after_plain["TCPFastOpenActive"] != before["TCPFastOpenActive"] ||
      after_plain["TCPFastOpenPassive"] != before["TCPFastOpenPassive"]) {
    return "a message that is not safelyReplayable went in a SYN";
  }
  std::string big(200000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  if (exchange(big, true, "!") != big + "!") return "fast open connection: wrong bytes";
  auto after = tcp_ext();
  if (after["TCPFastOpenActive"] != before["TCPFastOpenActive"] + 1) return "TCPFastOpenActive did not count the SYN's data";
  if (after["TCPFastOpenPassive"] != before["TCPFastOpenPassive"] + 1) return "TCPFastOpenPassive did not count the SYN's data";
  return {};
}

}  // namespace

TEST_CASE("InitiateWithSend: its message goes first, before a more urgent one sent before ready") {
  taps::Context ctx;
  test::WireRecorder server(ctx);
  auto pre = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(server.port)});
  std::vector<taps::MessageId> sent;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext& m) { sent.push_back(m.id); };
  auto c = pre.initiate_with_send(ctx, taps::Message("first,"), {}, h);
  REQUIRE(c);
  taps::MessageContext urgent;
  urgent.msg_priority = 0;
  auto u = c->send(taps::Message("urgent,"), urgent);
  taps::MessageContext fin;
  fin.final = true;
  auto f = c->send(taps::Message("last"), fin);
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(server.ended);
  CHECK(server.bytes == "first,urgent,last");
  REQUIRE(sent.size() == 3);
  CHECK(sent[1] == u);
  CHECK(sent[2] == f);
  c->abort();
  test::run_for(ctx, 100ms);
}

// In a child process in a network namespace of its own (net.ipv4.tcp_fastopen is per
// namespace, and so are the counters): the first safelyReplayable connection fetches
// the server's cookie; then a message that is not safelyReplayable stays out of the SYN
// (TCPFastOpenActive and TCPFastOpenPassive unchanged), and a safelyReplayable one,
// larger than a SYN holds, rides in it (both counters +1) and arrives whole.
TEST_CASE("InitiateWithSend with TCP Fast Open: only a safelyReplayable message rides in the SYN") {
  pid_t child = ::fork();
  REQUIRE(child != -1);
  if (child == 0) {
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(77);
    std::string why;
    try {
      why = fast_open_scenario();
    } catch (...) {
      why = "a REQUIRE failed (above)";
    }
    if (why.empty()) ::_exit(0);
    std::fprintf(stderr, "fast open child: %s\n", why.c_str());
    ::_exit(1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    const char* ci = std::getenv("CI");
    REQUIRE_MESSAGE((ci == nullptr || std::string(ci) != "true"), "no network namespace of our own, and CI=true forbids skipping");
    MESSAGE("skipped: no network namespace of our own (needs root)");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);
}
