#include "conductor/alerts/flap_detector.hpp"

namespace baton::conductor::alerts {

namespace {

char letter(CheckState state) {
  switch (state) {
    case CheckState::ok: return 'O';
    case CheckState::warning: return 'W';
    case CheckState::critical: return 'C';
    case CheckState::unknown: return 'U';
  }
  return 'U';
}

CheckState from_letter(char c) {
  switch (c) {
    case 'O': return CheckState::ok;
    case 'W': return CheckState::warning;
    case 'C': return CheckState::critical;
    default: return CheckState::unknown;
  }
}

}  // namespace

bool FlapDetector::record(CheckState state, double high_percent, double low_percent) {
  if (history_.empty()) history_.assign(window_, state);
  history_.push_back(state);
  while (history_.size() > window_) history_.pop_front();
  const double p = percent();
  const bool was = flapping_;
  if (!flapping_ && p > high_percent) flapping_ = true;
  if (flapping_ && p < low_percent) flapping_ = false;
  return was != flapping_;
}

double FlapDetector::percent() const {
  if (history_.size() < 2) return 0;
  const size_t changes_possible = history_.size() - 1;
  double weighted = 0;
  for (size_t i = 1; i < history_.size(); ++i) {
    if (history_[i] == history_[i - 1]) continue;
    const double position = changes_possible == 1 ? 1.0 : static_cast<double>(i - 1) / static_cast<double>(changes_possible - 1);
    weighted += 0.8 + 0.4 * position;
  }
  return weighted * 100.0 / static_cast<double>(changes_possible);
}

std::string FlapDetector::serialize() const {
  std::string text;
  for (CheckState s : history_) text += letter(s);
  return text;
}

FlapDetector FlapDetector::restore(unsigned window, const std::string& text, bool flapping) {
  FlapDetector detector(window);
  for (char c : text) detector.history_.push_back(from_letter(c));
  while (detector.history_.size() > detector.window_) detector.history_.pop_front();
  detector.flapping_ = flapping;
  return detector;
}

}  // namespace baton::conductor::alerts
