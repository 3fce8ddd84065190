#include <gtest/gtest.h>

#include <filesystem>

#include "common/amqp/fake_transport.hpp"
#include "common/core/clock.hpp"
#include "common/sqlite/database.hpp"
#include "conductor/core/alerting.hpp"

namespace baton::conductor {
namespace {

// An alert the engine opened but the database refused to save: memory is
// ahead of the database, so the conductor's failure handler must hear of it.
TEST(Alerting, AnAlertTheDatabaseRefusesToSaveIsReportedAsADatabaseFailure) {
  const auto path = (std::filesystem::temp_directory_path() / ("alerting-" + std::to_string(::getpid()) + ".db"));
  std::filesystem::remove(path);
  ManualClock clock;
  clock.advance(std::chrono::hours(1));
  amqp::FakeTransport transport;
  auto store = std::move(ConductorStore::open(path.string()).value());
  WorkerRegistry workers(*store, clock, WorkersConfig{});
  ASSERT_TRUE(workers.load().ok());
  TaskScheduler tasks(*store, transport, workers, clock, {});
  ASSERT_TRUE(tasks.load().ok());
  Alerting alerting(
      *store, clock, alerts::AlertsConfig{}, tasks, workers, [](std::function<void()> f) { f(); },
      [&](std::function<void()> change) -> Status {
        change();
        return {};
      });
  ASSERT_TRUE(alerting.start().ok());
  std::optional<Error> reported;
  alerting.set_database_failure_handler([&](const Error& e) { reported = e; });
  {
    auto db = sqlite::Database::open(path.string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE(db->exec("CREATE TRIGGER sabotage BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
                    .ok());
  }

  CheckResultRecord critical;
  critical.worker_id = "w1";
  critical.check = "disk_root";
  critical.type = "disk";
  critical.state = CheckState::critical;
  critical.output = "DISK CRITICAL";
  critical.at = clock.now();
  critical.state_since = clock.now();
  for (unsigned i = 0; i < alerts::AlertsConfig{}.soft_states && !reported; ++i) {
    alerting.on_check(critical);
    clock.advance(std::chrono::minutes(1));
  }
  alerting.stop();
  ASSERT_TRUE(reported.has_value()) << "the engine holds an alert the database does not";
  EXPECT_EQ(reported->code, Errc::database) << reported->message;
  EXPECT_EQ(alerting.engine().open_alerts().size(), 1u) << "what the database does not have";
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace baton::conductor
