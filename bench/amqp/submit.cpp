#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench/amqp/bench_connection.hpp"
#include "bench/amqp/confirm_window.hpp"
#include "common/amqp/topology_names.hpp"
#include "common/codec/envelope_codec.hpp"

namespace baton::bench {

namespace {

int64_t epoch_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

std::string case_id(const std::string& prefix, uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(i));
  return prefix + "-" + buf;
}

// A SubmitCase as automation sends it: protobuf, persistent, straight to the
// intake queue through the default exchange.
void publish_submit(BenchConnection& conn, const std::string& id, const std::string& workflow) {
  v1::Envelope e;
  auto* submit = e.mutable_submit_case();
  submit->set_case_id(id);
  submit->set_workflow(workflow);
  codec::stamp(e, "bench", SystemClock{}.now());
  const std::string body = codec::encode(e);
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_TYPE_FLAG |
                 AMQP_BASIC_MESSAGE_ID_FLAG;
  props.content_type = amqp_cstring_bytes("application/x-protobuf");
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  props.type = amqp_cstring_bytes("submit_case");
  props.message_id = amqp_cstring_bytes(e.message_id().c_str());
  amqp_bytes_t bytes{body.size(), const_cast<char*>(body.data())};
  int rc = amqp_basic_publish(conn.get(), BenchConnection::kChannel, amqp_empty_bytes,
                              amqp_cstring_bytes(amqp::kIntakeQueue), 0, 0, &props, bytes);
  if (rc != AMQP_STATUS_OK) die("publish: " + std::string(amqp_error_string2(rc)));
}

}  // namespace

// Submits `count` cases of `workflow` to baton.intake, every one confirmed by
// the broker. With --interval-ms, one at a time at that pace (the low-load
// latency probe), writing "case_id submit_epoch_ns" lines to --out.
int run_submit(const Args& args) {
  const uint64_t count = args.num("count", 1000);
  const std::string workflow = args.required("workflow");
  const std::string prefix = args.str("prefix", "bench");
  const uint64_t interval_ms = args.num("interval-ms", 0);
  BenchConnection conn(args.required("url"), "bench submit");
  conn.declare_intake();
  conn.confirm_select();
  ConfirmWindow window(conn);
  std::ofstream out;
  if (interval_ms) {
    out.open(args.required("out"));
    if (!out) die("cannot write " + args.required("out"));
  }
  const double t0 = epoch_seconds();
  for (uint64_t i = 1; i <= count; ++i) {
    const std::string id = case_id(prefix, i);
    const int64_t sent_ns = epoch_ns();
    publish_submit(conn, id, workflow);
    window.published();
    if (interval_ms) {
      out << id << ' ' << sent_ns << '\n';
      window.wait_until_at_most(0);
      ::usleep(static_cast<useconds_t>(interval_ms * 1000));
    } else if (window.outstanding() >= 2000) {
      window.wait_until_at_most(1000);
    }
  }
  window.wait_until_at_most(0);
  const double t1 = epoch_seconds();
  std::cout << std::fixed << "{\"submitted\": " << count << ", \"t_start\": " << t0 << ", \"t_confirmed\": " << t1
            << ", \"msgs_per_s\": " << count / (t1 - t0) << "}" << std::endl;
  return 0;
}

}  // namespace baton::bench
