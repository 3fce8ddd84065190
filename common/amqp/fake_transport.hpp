#pragma once

#include <mutex>
#include <utility>
#include <vector>

#include "common/amqp/transport.hpp"

namespace baton::amqp {

// In-memory Transport for unit tests of the core: records what was published
// and settled; the test decides when (and how) publishes are confirmed.
class FakeTransport final : public Transport {
 public:
  struct Published {
    OutgoingMessage message;
    PublishCallback done;
  };

  void publish(OutgoingMessage message, PublishCallback done) override {
    std::lock_guard lock(mu_);
    if (auto_confirm_) {
      if (done) done(PublishOutcome::confirmed);
      published_.push_back({std::move(message), nullptr});
    } else {
      published_.push_back({std::move(message), std::move(done)});
    }
  }
  void ack(DeliveryRef delivery, bool multiple = false) override {
    std::lock_guard lock(mu_);
    acks_.emplace_back(delivery, multiple);
  }
  void reject(DeliveryRef delivery, bool requeue) override {
    std::lock_guard lock(mu_);
    rejects_.emplace_back(delivery, requeue);
  }
  void dead_letter(const Delivery& delivery, std::string reason, std::function<void()> settled = {}) override {
    {
      std::lock_guard lock(mu_);
      dead_letters_.emplace_back(delivery, std::move(reason));
    }
    if (settled) settled();
  }
  bool connected() const override { return connected_; }

  void set_connected(bool c) { connected_ = c; }
  // With auto-confirm off, publishes wait for settle_all().
  void set_auto_confirm(bool on) { auto_confirm_ = on; }
  void settle_all(PublishOutcome outcome) {
    std::vector<PublishCallback> callbacks;
    {
      std::lock_guard lock(mu_);
      for (auto& p : published_)
        if (p.done) callbacks.push_back(std::exchange(p.done, nullptr));
    }
    for (auto& cb : callbacks) cb(outcome);
  }

  std::vector<Published> published() const {
    std::lock_guard lock(mu_);
    std::vector<Published> out;
    for (const auto& p : published_) out.push_back({p.message, nullptr});
    return out;
  }
  std::vector<std::pair<DeliveryRef, bool>> acks() const {
    std::lock_guard lock(mu_);
    return acks_;
  }
  std::vector<std::pair<DeliveryRef, bool>> rejects() const {
    std::lock_guard lock(mu_);
    return rejects_;
  }
  std::vector<std::pair<Delivery, std::string>> dead_letters() const {
    std::lock_guard lock(mu_);
    return dead_letters_;
  }

 private:
  mutable std::mutex mu_;
  bool connected_ = true;
  bool auto_confirm_ = true;
  std::vector<Published> published_;
  std::vector<std::pair<DeliveryRef, bool>> acks_;
  std::vector<std::pair<DeliveryRef, bool>> rejects_;
  std::vector<std::pair<Delivery, std::string>> dead_letters_;
};

}  // namespace baton::amqp
