#pragma once

#include <deque>
#include <string>

#include "conductor/alerts/alert_types.hpp"

namespace baton::conductor::alerts {

// Nagios-style flap detection: the percent state change over the last
// `window` results, where recent changes weigh more (0.8 for the oldest
// change to 1.2 for the newest). Like Nagios, a fresh history counts as
// `window` copies of the first result, so a few early changes are not flapping.
class FlapDetector {
 public:
  explicit FlapDetector(unsigned window = 20) : window_(window < 3 ? 3 : window) {}

  // Records a result; returns true when the flapping flag changed.
  bool record(CheckState state, double high_percent, double low_percent);

  double percent() const;
  bool flapping() const { return flapping_; }

  // "OWCU" letters, oldest first, plus the flag, for the store.
  std::string serialize() const;
  static FlapDetector restore(unsigned window, const std::string& text, bool flapping);

 private:
  unsigned window_;
  std::deque<CheckState> history_;
  bool flapping_ = false;
};

}  // namespace baton::conductor::alerts
