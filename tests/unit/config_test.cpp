#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config_error.hpp"
#include "common/config/yaml_reader.hpp"
#include "conductor/config.hpp"
#include "worker/config.hpp"

namespace baton {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using config::ConfigError;

// Sets (or, with nullopt, unsets) a variable and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) ::setenv(name_.c_str(), value->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tests may run under run.sh, which exports some of these.
    for (const char* name : {"BATON_BROKER_URL", "BATON_BROKER_PASSWORD", "BATON_LOG_LEVEL",
                             "BATON_API_TOKEN", "BATON_HTTP_PORT", "BATON_DATABASE",
                             "BATON_WORKER_ID"}) {
      cleared_.push_back(std::make_unique<ScopedEnv>(name, std::nullopt));
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("baton-config-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& text, const std::string& name = "test.yaml") {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // what() of the ConfigError `load` throws, with the temp path shortened to "FILE".
  std::string error_of(const std::function<void()>& load) {
    try {
      load();
    } catch (const ConfigError& e) {
      std::string text = e.what();
      const std::string path = (dir_ / "test.yaml").string();
      if (text.rfind(path, 0) == 0) text = "FILE" + text.substr(path.size());
      return text;
    }
    return "no error";
  }

  std::string conductor_error(const std::string& yaml) {
    const std::string path = write(yaml);
    return error_of([&] { conductor::load_conductor_config(path); });
  }

  std::string worker_error(const std::string& yaml) {
    const std::string path = write(yaml);
    return error_of([&] { worker::load_worker_config(path); });
  }

  fs::path dir_;
  std::vector<std::unique_ptr<ScopedEnv>> cleared_;
};

TEST_F(ConfigTest, ShippedConductorConfigLoads) {
  const auto cfg = conductor::load_conductor_config(BATON_SOURCE_DIR "/config/conductor.yaml");
  EXPECT_EQ(cfg.database, "data/baton.db");
  EXPECT_EQ(cfg.http.listen, "127.0.0.1");
  EXPECT_EQ(cfg.http.port, 8080);
  EXPECT_EQ(cfg.workers.missed_heartbeats, 3u);
  EXPECT_EQ(cfg.log.file, "var/log/conductor.log");
  EXPECT_EQ(cfg.log.max_file_bytes, 10u << 20);
  EXPECT_EQ(cfg.broker.host, "127.0.0.1");
  EXPECT_EQ(cfg.broker.port, 5672);
  EXPECT_EQ(cfg.broker.user, "baton");
  EXPECT_EQ(cfg.broker.vhost, "/");
  EXPECT_EQ(cfg.broker.heartbeat, 10s);
}

TEST_F(ConfigTest, ShippedWorkerConfigLoads) {
  const auto cfg = worker::load_worker_config(BATON_SOURCE_DIR "/config/worker.yaml");
  EXPECT_EQ(cfg.id, "local");
  EXPECT_EQ(cfg.labels, (std::vector<std::string>{"default", "cpu"}));
  EXPECT_EQ(cfg.slots, 4u);
  EXPECT_EQ(cfg.heartbeat_interval, 5s);
  EXPECT_EQ(cfg.disks, (std::vector<std::string>{"/"}));
  EXPECT_EQ(cfg.gpu.mode, worker::GpuConfig::Mode::autodetect);
  EXPECT_EQ(cfg.log.file, "var/log/worker.log");
  EXPECT_EQ(cfg.broker.user, "baton");
}

TEST_F(ConfigTest, EmptyFilesGiveTheDefaults) {
  const auto conductor = conductor::load_conductor_config(write("", "c.yaml"));
  EXPECT_EQ(conductor.database, "data/baton.db");
  EXPECT_EQ(conductor.http.port, 8080);
  EXPECT_EQ(conductor.broker.prefetch, conductor::kConductorPrefetch) << "acks after commit: a wide window";

  const auto worker = worker::load_worker_config(write("# nothing\n", "w.yaml"));
  ASSERT_FALSE(worker.id.empty());
  EXPECT_EQ(worker.id.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"),
            std::string::npos);
  EXPECT_EQ(worker.slots, 1u);
  EXPECT_EQ(worker.broker.prefetch, 200u) << "the shared default; the shipped worker.yaml says 50";
}

TEST_F(ConfigTest, UnknownKeyNamesLineAndKnownKeys) {
  EXPECT_EQ(conductor_error("http:\n  listen: 0.0.0.0\n  prot: 8080\n"),
            "FILE:3: http.prot: unknown key (known: listen, port, port_file, token)");
  EXPECT_EQ(conductor_error("database:\n  path: x.db\ndatabse:\n  path: y.db\n"),
            "FILE:3: databse: unknown key (known: alerts, broker, cases, checks, database, http, log, "
            "maintenance, management_url, workers, workflows)");
  EXPECT_EQ(worker_error("worker:\n  gpu:\n    mode: on\n    smi: x\n"),
            "FILE:4: worker.gpu.smi: unknown key (known: mode, nvidia_smi, query_timeout)");
}

TEST_F(ConfigTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(conductor_error("http:\n  port: 1\n  port: 2\n"),
            "FILE:3: http.port: duplicate key (first on line 2)");
}

TEST_F(ConfigTest, WrongTypeNamesKey) {
  EXPECT_EQ(worker_error("worker:\n  labels: default\n"),
            "FILE:2: worker.labels: expected a list of strings, got \"default\"");
  EXPECT_EQ(worker_error("worker:\n  labels: [a, {b: c}]\n"),
            "FILE:2: worker.labels[1]: expected a string, got a mapping");
  EXPECT_EQ(worker_error("worker:\n  disks:\n    - /\n    - \"\"\n"),
            "FILE:4: worker.disks[1]: expected a non-empty string");
  EXPECT_EQ(conductor_error("http: [1, 2]\n"), "FILE:1: http: expected a mapping of keys, got a list");
  EXPECT_EQ(conductor_error("http:\n  port: [1, 2]\n"),
            "FILE:2: http.port: expected an integer from 0 to 65535, got a list");
  EXPECT_EQ(conductor_error("http:\n  token: {a: b}\n"),
            "FILE:2: http.token: expected a string, got a mapping");
  EXPECT_EQ(conductor_error("- a\n- b\n"),
            "FILE:1: expected a mapping of sections at the top level, got a list");
}

TEST_F(ConfigTest, IntegerOutOfRangeOrMalformed) {
  EXPECT_EQ(worker_error("broker:\n  host: h\n  port: abc\n"),
            "FILE:3: broker.port: expected an integer from 1 to 65535, got \"abc\"");
  EXPECT_EQ(worker_error("broker:\n  port: 70000\n"),
            "FILE:2: broker.port: expected an integer from 1 to 65535, got \"70000\"");
  EXPECT_EQ(worker_error("worker:\n  slots: 0\n"),
            "FILE:2: worker.slots: expected an integer from 1 to 4096, got \"0\"");
  EXPECT_EQ(conductor_error("workers:\n  missed_heartbeats: 2.5\n"),
            "FILE:2: workers.missed_heartbeats: expected an integer from 1 to 100, got \"2.5\"");
}

TEST_F(ConfigTest, DurationForms) {
  const auto cfg = worker::load_worker_config(
      write("worker:\n  heartbeat_interval: 500ms\n  gpu:\n    query_timeout: 2\n"));
  EXPECT_EQ(cfg.heartbeat_interval, 500ms);
  EXPECT_EQ(cfg.gpu.query_timeout, 2s);

  const auto conductor = conductor::load_conductor_config(
      write("workers:\n  sweep_interval: 1m\nbroker:\n  reconnect_max: 1h\n  heartbeat: 30\n"));
  EXPECT_EQ(conductor.workers.sweep_interval, 1min);
  EXPECT_EQ(conductor.broker.reconnect_max, 1h);
  EXPECT_EQ(conductor.broker.heartbeat, 30s);
}

TEST_F(ConfigTest, BadDurationSaysWhichFormsAreAccepted) {
  EXPECT_EQ(worker_error("worker:\n  heartbeat_interval: 5 sec\n"),
            "FILE:2: worker.heartbeat_interval: expected a duration like 500ms, 5s, 1m, 1h, 2d or "
            "a whole number of seconds, got \"5 sec\"");
  EXPECT_EQ(worker_error("worker:\n  heartbeat_interval: 50ms\n"),
            "FILE:2: worker.heartbeat_interval: expected a duration from 100ms to 1h, got \"50ms\"");
  EXPECT_EQ(worker_error("broker:\n  heartbeat: 1500ms\n"),
            "FILE:2: broker.heartbeat: must be whole seconds");
  EXPECT_EQ(conductor_error("broker:\n  reconnect_initial: 30s\n"),
            "FILE:2: broker.reconnect_initial: reconnect_max (10s) must not be shorter than "
            "reconnect_initial (30s)");
}

TEST_F(ConfigTest, ByteSizesAndLevels) {
  const auto cfg = conductor::load_conductor_config(
      write("log:\n  level: debug\n  max_file_size: 512KB\n  max_files: 7\n"
            "broker:\n  max_message_bytes: 2MB\n"));
  EXPECT_EQ(cfg.log.level, "debug");
  EXPECT_EQ(cfg.log.max_file_bytes, 512u * 1024);
  EXPECT_EQ(cfg.log.max_files, 7u);
  EXPECT_EQ(cfg.broker.max_message_bytes, 2u << 20);

  EXPECT_EQ(conductor_error("log:\n  max_file_size: 10 MB\n"),
            "FILE:2: log.max_file_size: expected a size in bytes like 1048576, 512KB, 10MB or 1GB, "
            "got \"10 MB\"");
  EXPECT_EQ(conductor_error("log:\n  max_file_size: 100\n"),
            "FILE:2: log.max_file_size: expected a size from 1KB to 1024GB, got \"100\"");
  EXPECT_EQ(conductor_error("log:\n  level: verbose\n"),
            "FILE:2: log.level: expected one of trace, debug, info, warn, error, critical, off, got "
            "\"verbose\"");
}

TEST_F(ConfigTest, GpuModeAcceptsBooleans) {
  EXPECT_EQ(worker::load_worker_config(write("worker:\n  gpu:\n    mode: true\n")).gpu.mode,
            worker::GpuConfig::Mode::on);
  EXPECT_EQ(worker::load_worker_config(write("worker:\n  gpu:\n    mode: off\n")).gpu.mode,
            worker::GpuConfig::Mode::off);
  EXPECT_EQ(worker_error("worker:\n  gpu:\n    mode: maybe\n"),
            "FILE:3: worker.gpu.mode: expected one of auto, on, off, true, false, got \"maybe\"");
}

TEST_F(ConfigTest, WorkerIdIsValidated) {
  EXPECT_EQ(worker_error("worker:\n  id: gpu01.cluster\n"),
            "FILE:2: worker.id: expected only the characters A-Z a-z 0-9 _ -, got \"gpu01.cluster\"");
  EXPECT_EQ(worker_error("worker:\n  id: \"\"\n"),
            "FILE:2: worker.id: expected 1 to 64 characters from A-Z a-z 0-9 _ -, got \"\"");
}

TEST_F(ConfigTest, SyntaxErrorHasParserLine) {
  EXPECT_EQ(worker_error("worker:\n  id: a\n  labels: [a, b\nbroker:\n  port: 1\n"),
            "FILE:4: YAML syntax error: end of sequence flow not found");
}

TEST_F(ConfigTest, MissingFile) {
  const std::string path = (dir_ / "absent.yaml").string();
  EXPECT_EQ(error_of([&] { conductor::load_conductor_config(path); }),
            path + ": cannot read file: No such file or directory");
}

TEST_F(ConfigTest, EmptyValueKeepsDefault) {
  const auto cfg = conductor::load_conductor_config(write("http:\n  listen:\n  token:\n"));
  EXPECT_EQ(cfg.http.listen, "127.0.0.1");
  EXPECT_EQ(cfg.http.token, "");
}

TEST_F(ConfigTest, BrokerKeysOverrideUrlParts) {
  const auto cfg = conductor::load_conductor_config(
      write("broker:\n  url: amqp://u:p@rabbit:1234/prod\n  port: 5673\n  password: s3cret\n"));
  EXPECT_EQ(cfg.broker.host, "rabbit");
  EXPECT_EQ(cfg.broker.port, 5673);
  EXPECT_EQ(cfg.broker.user, "u");
  EXPECT_EQ(cfg.broker.password, "s3cret");
  EXPECT_EQ(cfg.broker.vhost, "prod");

  EXPECT_EQ(conductor_error("broker:\n  url: amqp://u:secret@rabbit:x/\n"),
            "FILE:2: broker.url: invalid AMQP URL: port must be an integer from 1 to 65535, got \"x\"");
}

TEST_F(ConfigTest, MessagesArePersistentUnlessTheBrokerSectionSaysOtherwise) {
  EXPECT_TRUE(conductor::load_conductor_config(write("", "c.yaml")).broker.persistent_messages);
  EXPECT_TRUE(conductor::load_conductor_config(BATON_SOURCE_DIR "/config/conductor.yaml").broker.persistent_messages);
  EXPECT_TRUE(worker::load_worker_config(BATON_SOURCE_DIR "/config/worker.yaml").broker.persistent_messages);
  EXPECT_FALSE(worker::load_worker_config(write("broker:\n  persistent_messages: false\n", "w.yaml"))
                   .broker.persistent_messages);
  const std::string error = worker_error("broker:\n  persistent_messages: sometimes\n");
  EXPECT_EQ(error.rfind("FILE:2: broker.persistent_messages: expected", 0), 0u) << error;
}

TEST_F(ConfigTest, RequireNamesMissingKey) {
  config::MapReader reader(YAML::Load("other: 1\n"), "inline.yaml", "db");
  reader.integer("other", 0, 9);
  try {
    reader.require("path");
    FAIL() << "require did not throw";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "inline.yaml:1: db.path: required key is missing");
    EXPECT_EQ(e.key(), "db.path");
    EXPECT_EQ(e.line(), 1);
  }
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  ScopedEnv url("BATON_BROKER_URL", "amqp://env:pw@envhost:5999/v%2fx");
  ScopedEnv password("BATON_BROKER_PASSWORD", "frompass");
  ScopedEnv level("BATON_LOG_LEVEL", "trace");
  ScopedEnv token("BATON_API_TOKEN", "tok");
  ScopedEnv port("BATON_HTTP_PORT", "0");
  ScopedEnv database("BATON_DATABASE", "/tmp/other.db");
  ScopedEnv id("BATON_WORKER_ID", "gpu-07");

  const auto c = conductor::load_conductor_config(BATON_SOURCE_DIR "/config/conductor.yaml");
  EXPECT_EQ(c.broker.host, "envhost");
  EXPECT_EQ(c.broker.port, 5999);
  EXPECT_EQ(c.broker.user, "env");
  EXPECT_EQ(c.broker.password, "frompass");
  EXPECT_EQ(c.broker.vhost, "v/x");
  EXPECT_EQ(c.log.level, "trace");
  EXPECT_EQ(c.http.token, "tok");
  EXPECT_EQ(c.http.port, 0);
  EXPECT_EQ(c.database, "/tmp/other.db");

  const auto w = worker::load_worker_config(BATON_SOURCE_DIR "/config/worker.yaml");
  EXPECT_EQ(w.id, "gpu-07");
  EXPECT_EQ(w.broker.host, "envhost");
  EXPECT_EQ(w.log.level, "trace");
}

TEST_F(ConfigTest, EmptyEnvironmentValueCountsAsUnset) {
  ScopedEnv port("BATON_HTTP_PORT", "");
  EXPECT_EQ(conductor::load_conductor_config(write("http:\n  port: 9000\n")).http.port, 9000);
}

TEST_F(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  const std::string path = write("");
  {
    ScopedEnv port("BATON_HTTP_PORT", "abc");
    EXPECT_EQ(error_of([&] { conductor::load_conductor_config(path); }),
              "environment variable BATON_HTTP_PORT: expected an integer from 0 to 65535, got \"abc\"");
  }
  {
    ScopedEnv url("BATON_BROKER_URL", "http://rabbit/");
    EXPECT_EQ(error_of([&] { worker::load_worker_config(path); }),
              "environment variable BATON_BROKER_URL: invalid AMQP URL: must start with amqp://");
  }
  {
    ScopedEnv level("BATON_LOG_LEVEL", "loud");
    EXPECT_EQ(error_of([&] { worker::load_worker_config(path); }),
              "environment variable BATON_LOG_LEVEL: expected one of trace, debug, info, warn, "
              "error, critical, off, got \"loud\"");
  }
  {
    ScopedEnv id("BATON_WORKER_ID", "a b");
    try {
      worker::load_worker_config(path);
      FAIL() << "no error";
    } catch (const ConfigError& e) {
      EXPECT_TRUE(e.from_environment());
      EXPECT_EQ(e.key(), "BATON_WORKER_ID");
      EXPECT_EQ(e.message(), "expected only the characters A-Z a-z 0-9 _ -, got \"a b\"");
    }
  }
}

}  // namespace
}  // namespace baton
