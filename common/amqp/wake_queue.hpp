#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <mutex>

namespace baton::amqp {

// Hands requests from any thread to one I/O thread, and wakes that thread's
// poll() through an eventfd, so a publish never waits for a poll timeout.
template <class T>
class WakeQueue {
 public:
  WakeQueue() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~WakeQueue() {
    if (fd_ >= 0) ::close(fd_);
  }
  WakeQueue(const WakeQueue&) = delete;
  WakeQueue& operator=(const WakeQueue&) = delete;

  void push(T item) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(item));
    }
    wake();
  }

  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
  }

  // Takes everything queued so far; clears the eventfd first so a push that
  // races with us still leaves it readable.
  std::deque<T> take_all() {
    uint64_t count;
    [[maybe_unused]] auto n = ::read(fd_, &count, sizeof count);
    std::lock_guard lock(mu_);
    std::deque<T> out;
    out.swap(items_);
    return out;
  }

  bool empty() {
    std::lock_guard lock(mu_);
    return items_.empty();
  }

  int fd() const { return fd_; }

 private:
  int fd_;
  std::mutex mu_;
  std::deque<T> items_;
};

}  // namespace baton::amqp
