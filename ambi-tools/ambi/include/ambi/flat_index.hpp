// An index from a hash to items stored elsewhere: open addressing with linear probing in
// one flat table, for the digest store's lookups on the packet path (a lookup reads one
// line of the table, and inserting or erasing allocates nothing once the table has
// grown; a node-based map chased pointers and allocated a node per entry).
//
// `Ref` names an item (a pointer or an index); Ref{} is never stored, it marks a free
// entry. Equal hashes may name different items: find() asks the caller which one it
// means. The table is a power of two, at most half full. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ambi {

template <class Ref>
class FlatIndex {
 public:
  void insert(std::size_t hash, Ref ref) {
    if (2 * (size_ + 1) > table_.size()) grow();
    std::size_t i = home(hash);
    while (table_[i].ref != Ref{}) i = next(i);
    table_[i] = Entry{hash, ref};
    ++size_;
  }

  // Removes the entry of `ref`, which must be in the index under `hash`.
  void erase(std::size_t hash, Ref ref) {
    std::size_t i = home(hash);
    while (table_[i].ref != ref) i = next(i);
    // Backward shift: pull later entries of the probe run into the hole, unless the hole
    // lies before their home, so that no lookup stops early at a free entry.
    for (std::size_t j = next(i); table_[j].ref != Ref{}; j = next(j)) {
      const std::size_t h = home(table_[j].hash);
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (!stays) {
        table_[i] = table_[j];
        i = j;
      }
    }
    table_[i] = Entry{};
    --size_;
  }

  // Calls visit(ref) for each item stored under `hash` until it returns true; returns
  // that item, or Ref{}.
  template <class Visit>
  Ref find(std::size_t hash, Visit&& visit) const {
    if (table_.empty()) return Ref{};
    for (std::size_t i = home(hash); table_[i].ref != Ref{}; i = next(i)) {
      if (table_[i].hash == hash && visit(table_[i].ref)) return table_[i].ref;
    }
    return Ref{};
  }

  std::size_t size() const { return size_; }

 private:
  struct Entry {
    std::size_t hash = 0;
    Ref ref{};
  };
  std::size_t home(std::size_t hash) const { return hash & (table_.size() - 1); }
  std::size_t next(std::size_t i) const { return (i + 1) & (table_.size() - 1); }

  void grow() {
    std::vector<Entry> old(std::max<std::size_t>(64, 2 * table_.size()));
    old.swap(table_);
    for (const Entry& e : old) {
      if (e.ref == Ref{}) continue;
      std::size_t i = home(e.hash);
      while (table_[i].ref != Ref{}) i = next(i);
      table_[i] = e;
    }
  }

  std::vector<Entry> table_;
  std::size_t size_ = 0;
};

}  // namespace ambi
