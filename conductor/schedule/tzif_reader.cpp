// TZif (RFC 8536) parsing for TimeZone.
#include <cstring>

#include "conductor/schedule/time_zone_data.hpp"

namespace baton::conductor {

namespace {

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  bool has(size_t n) const { return bytes_.size() - pos_ >= n; }
  size_t position() const { return pos_; }
  void skip(size_t n) { pos_ += n; }
  std::string_view rest() const { return bytes_.substr(pos_); }

  uint8_t u8() { return static_cast<uint8_t>(bytes_[pos_++]); }
  int64_t be(size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value = (value << 8) | u8();
    if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(value));
    return static_cast<int64_t>(value);
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

struct Header {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  size_t data_size(size_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) + isstdcnt + isutcnt;
  }
};

bool read_header(ByteReader& in, Header& h) {
  if (!in.has(44) || in.rest().substr(0, 4) != "TZif") return false;
  in.skip(4);
  h.version = static_cast<char>(in.u8());
  in.skip(15);
  h.isutcnt = static_cast<uint32_t>(in.be(4));
  h.isstdcnt = static_cast<uint32_t>(in.be(4));
  h.leapcnt = static_cast<uint32_t>(in.be(4));
  h.timecnt = static_cast<uint32_t>(in.be(4));
  h.typecnt = static_cast<uint32_t>(in.be(4));
  h.charcnt = static_cast<uint32_t>(in.be(4));
  return true;
}

}  // namespace

Result<TimeZone::Data> parse_tzif(std::string name, std::string_view bytes) {
  const auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_argument, "time zone " + name + ": " + why);
  };
  ByteReader in(bytes);
  Header header;
  if (!read_header(in, header)) return bad("not a TZif file");
  size_t time_size = 4;
  if (header.version >= '2') {
    // The v1 block only serves old readers; the 64-bit block repeats it in full.
    if (!in.has(header.data_size(4))) return bad("truncated TZif data");
    in.skip(header.data_size(4));
    if (!read_header(in, header)) return bad("missing the TZif v2 header");
    time_size = 8;
  }
  if (header.typecnt == 0 || header.typecnt > 256) return bad("bad local time type count");
  if (header.leapcnt != 0) return bad("leap-second (\"right/\") zones are not supported");
  if (!in.has(header.data_size(time_size))) return bad("truncated TZif data");

  TimeZone::Data data;
  data.name = std::move(name);
  data.transitions.resize(header.timecnt);
  for (auto& transition : data.transitions) transition.at = in.be(time_size);
  // Holds the local time type index until the types are read.
  for (auto& transition : data.transitions) transition.offset = in.u8();
  std::vector<int32_t> type_offsets(header.typecnt);
  for (auto& offset : type_offsets) {
    offset = static_cast<int32_t>(in.be(4));
    in.skip(2);  // isdst and the abbreviation index: offsets are all we schedule by
  }
  in.skip(header.charcnt + header.isstdcnt + header.isutcnt);

  data.initial_offset = type_offsets[0];
  for (size_t i = 0; i < data.transitions.size(); ++i) {
    auto& transition = data.transitions[i];
    if (static_cast<uint32_t>(transition.offset) >= header.typecnt) return bad("transition names an unknown local time type");
    if (i > 0 && transition.at <= data.transitions[i - 1].at) return bad("transition times are not ascending");
    transition.offset = type_offsets[static_cast<size_t>(transition.offset)];
  }

  if (time_size == 8) {
    const std::string_view rest = in.rest();
    if (rest.size() < 2 || rest.front() != '\n') return bad("missing the TZ string footer");
    const size_t close = rest.find('\n', 1);
    if (close == std::string_view::npos) return bad("unterminated TZ string footer");
    const std::string_view footer = rest.substr(1, close - 1);
    if (!footer.empty()) {
      auto rule = PosixTzRule::parse(footer);
      if (!rule) return bad(rule.error().message);
      data.footer = std::move(rule).value();
    }
  }
  return data;
}

}  // namespace baton::conductor
