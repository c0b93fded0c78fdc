// The digest store's flat index: open addressing with backward-shift erase, checked
// against a std::multimap under random inserts and erases with crowded hashes.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include "ambi/flat_index.hpp"

using ambi::FlatIndex;

namespace {

std::set<int> all_under(const FlatIndex<int>& index, std::size_t hash) {
  std::set<int> found;
  index.find(hash, [&](int ref) {
    found.insert(ref);
    return false;
  });
  return found;
}

}  // namespace

TEST_CASE("flat index: equal hashes keep their items apart, and find returns the one asked for") {
  FlatIndex<int> index;
  CHECK(index.find(7, [](int) { return true; }) == 0);
  index.insert(7, 1);
  index.insert(7, 2);
  index.insert(8, 3);
  CHECK(index.size() == 3);
  CHECK(all_under(index, 7) == std::set<int>{1, 2});
  CHECK(index.find(7, [](int ref) { return ref == 2; }) == 2);
  CHECK(index.find(9, [](int) { return true; }) == 0);
  index.erase(7, 1);
  CHECK(all_under(index, 7) == std::set<int>{2});
  CHECK(all_under(index, 8) == std::set<int>{3});
}

TEST_CASE("flat index: random inserts and erases match a multimap, across growth and wrap-around") {
  FlatIndex<int> index;
  std::multimap<std::size_t, int> model;
  std::mt19937 rng(17);
  int next = 1;
  for (int step = 0; step < 20000; ++step) {
    // Few distinct hashes, many near the table's end: long probe runs that wrap.
    std::size_t hash = (rng() % 40) + (rng() % 2 ? 0 : std::size_t(-20));
    if (model.empty() || rng() % 3 != 0) {
      index.insert(hash, next);
      model.emplace(hash, next);
      ++next;
    } else {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      index.erase(it->first, it->second);
      model.erase(it);
    }
    REQUIRE(index.size() == model.size());
    if (step % 97 == 0) {
      for (auto it = model.begin(); it != model.end(); it = model.upper_bound(it->first)) {
        std::set<int> expected;
        for (auto [a, b] = model.equal_range(it->first); a != b; ++a) expected.insert(a->second);
        REQUIRE(all_under(index, it->first) == expected);
      }
    }
  }
}
