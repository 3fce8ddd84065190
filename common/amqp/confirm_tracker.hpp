#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace baton::amqp {

// Publisher-confirm bookkeeping for one channel: the broker numbers publishes
// 1, 2, 3… after confirm.select and answers with basic.ack/nack carrying a tag
// and a `multiple` flag that settles everything up to and including the tag.
template <class Pending>
class ConfirmTracker {
 public:
  // The sequence number the next publish on this channel will get.
  uint64_t next_sequence() const { return next_; }

  uint64_t track(Pending pending) {
    const uint64_t seq = next_++;
    outstanding_.emplace(seq, std::move(pending));
    return seq;
  }

  std::vector<Pending> settle(uint64_t tag, bool multiple) {
    std::vector<Pending> settled;
    if (multiple) {
      auto end = outstanding_.upper_bound(tag);
      for (auto it = outstanding_.begin(); it != end; ++it) settled.push_back(std::move(it->second));
      outstanding_.erase(outstanding_.begin(), end);
    } else if (auto it = outstanding_.find(tag); it != outstanding_.end()) {
      settled.push_back(std::move(it->second));
      outstanding_.erase(it);
    }
    return settled;
  }

  // On a new channel the numbering starts again at 1; whatever was still
  // outstanding is handed back in publish order, to be published again.
  std::vector<Pending> reset() {
    std::vector<Pending> left;
    left.reserve(outstanding_.size());
    for (auto& [seq, p] : outstanding_) left.push_back(std::move(p));
    outstanding_.clear();
    next_ = 1;
    return left;
  }

  Pending* find(uint64_t seq) {
    auto it = outstanding_.find(seq);
    return it == outstanding_.end() ? nullptr : &it->second;
  }

  size_t size() const { return outstanding_.size(); }
  bool empty() const { return outstanding_.empty(); }

 private:
  uint64_t next_ = 1;
  std::map<uint64_t, Pending> outstanding_;
};

}  // namespace baton::amqp
