#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "conductor/core/case_service.hpp"
#include "conductor/http/api.hpp"
#include "conductor/http/case_json.hpp"
#include "conductor/http/route_support.hpp"
#include "conductor/store/conductor_store.hpp"
#include "tests/unit/support/conductor_db_test.hpp"

namespace baton::conductor {
namespace {

using nlohmann::json;

constexpr const char* kToken = testing::kApiToken;

// Knows one workflow, "dose", with one required parameter, "plan"; repeats
// of a submission are idempotent, like the real scheduler's.
class FakeCaseService final : public CaseService {
 public:
  Result<SubmitOutcome> submit(const v1::SubmitCase& request) override {
    if (request.workflow() != "dose")
      return make_error(Errc::invalid_argument, "unknown workflow " + request.workflow());
    if (!request.params().contains("plan")) return make_error(Errc::invalid_argument, "missing parameter plan");
    const std::map<std::string, std::string> params(request.params().begin(), request.params().end());
    const auto id = request.case_id().empty() ? "c-" + std::to_string(cases.size() + 1) : request.case_id();
    if (const auto it = cases.find(id); it != cases.end()) {
      if (it->second.params != params || it->second.workflow != request.workflow())
        return make_error(Errc::conflict, "case " + id + " exists with other parameters");
      return SubmitOutcome{it->second, false};
    }
    CaseRecord record;
    record.id = id;
    record.workflow = request.workflow();
    record.params = params;
    record.priority = request.priority();
    record.created_at = record.updated_at = from_unix_ms(1'700'000'000'000);
    cases[id] = record;
    return SubmitOutcome{record, true};
  }

  Status cancel(const std::string& case_id, const std::string& reason) override {
    cancelled.emplace_back(case_id, reason);
    return answer(case_id);
  }

  Status retry(const std::string& case_id) override {
    retried.push_back(case_id);
    return answer(case_id);
  }

  std::map<std::string, CaseRecord> cases;
  std::set<std::string> ended;  // cancel and retry of these conflict
  std::vector<std::pair<std::string, std::string>> cancelled;
  std::vector<std::string> retried;

 private:
  Status answer(const std::string& case_id) {
    if (case_id == "nope") return make_error(Errc::not_found, "no case named nope");
    if (ended.contains(case_id)) return make_error(Errc::conflict, "case " + case_id + " already ended");
    return {};
  }
};

class CaseRoutesTest : public testing::RouteTest {
 protected:
  void install(std::string token = kToken, CaseService* cases = nullptr) {
    ApiDeps deps;
    deps.database_path = database_;
    deps.clock = &clock_;
    deps.cases = cases ? cases : &service_;
    deps.api_token = std::move(token);
    router_ = http::Router();
    ConductorApi(deps).install(router_);
  }

  CaseRecord seed_case(const std::string& id, const std::string& workflow, CaseStatus status) {
    CaseRecord c;
    c.id = id;
    c.workflow = workflow;
    c.params = {{"plan", "p-" + id}};
    c.status = status;
    c.created_at = clock_.now() - std::chrono::minutes(5);
    c.updated_at = clock_.now() - std::chrono::minutes(1);
    EXPECT_TRUE(store_->insert_case(c).ok());
    return c;
  }

  void seed_three() {
    seed_case("c-1", "dose", CaseStatus::completed);
    auto running = seed_case("c-2", "dose", CaseStatus::executing);
    running.current_step = 1;
    running.attempt = 2;
    running.worker_id = "gpu-01";
    running.progress = 45;
    running.progress_message = "epoch 3/10";
    ASSERT_TRUE(store_->update_case(running).ok());
    seed_case("c-3", "scan", CaseStatus::queued);

    const auto at = clock_.now() - std::chrono::minutes(4);
    ASSERT_TRUE(store_->append_case_history("c-2", {at, CaseStatus::queued, 0, 0, "", "submitted"}).ok());
    ASSERT_TRUE(store_->append_case_history("c-2", {at, CaseStatus::executing, 1, 2, "gpu-01", "started"}).ok());
    StepAttemptRecord failed;
    failed.case_id = "c-2";
    failed.step = 1;
    failed.step_name = "simulate";
    failed.attempt = 1;
    failed.worker_id = "gpu-02";
    failed.status = AttemptStatus::failed;
    failed.slots = 2;
    failed.gpus = {0, 1};
    failed.pid = 4242;
    failed.exit_code = 3;
    failed.message = "exit 3";
    failed.output_tail = "out of memory\n";
    failed.dispatched_at = at;
    failed.started_at = at + std::chrono::seconds(1);
    failed.finished_at = at + std::chrono::seconds(30);
    ASSERT_TRUE(store_->upsert_attempt(failed).ok());
    auto running_attempt = failed;
    running_attempt.attempt = 2;
    running_attempt.worker_id = "gpu-01";
    running_attempt.status = AttemptStatus::running;
    running_attempt.exit_code = 0;
    running_attempt.message.clear();
    running_attempt.output_tail.clear();
    running_attempt.finished_at.reset();
    ASSERT_TRUE(store_->upsert_attempt(running_attempt).ok());
  }


  static std::vector<std::string> ids(const json& list) {
    std::vector<std::string> out;
    for (const auto& c : list["cases"]) out.push_back(c["id"].get<std::string>());
    return out;
  }

  FakeCaseService service_;
};

TEST_F(CaseRoutesTest, SubmitAnswers201ThenIsIdempotentWith200) {
  install();
  const std::string body =
      R"({"id": "c-9", "workflow": "dose", "params": {"plan": "p1", "fractions": 5}, "priority": 3})";
  const auto created = call("POST", "/api/v1/cases", body);
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body["id"], "c-9");
  EXPECT_EQ(created.body["status"], "QUEUED");
  EXPECT_EQ(created.body["params"], (json{{"plan", "p1"}, {"fractions", "5"}}));
  EXPECT_EQ(created.body["priority"], 3);
  EXPECT_EQ(created.headers.at("Location"), "/api/v1/cases/c-9");

  const auto again = call("POST", "/api/v1/cases", body);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body["id"], "c-9");
  EXPECT_EQ(service_.cases.size(), 1u);
}

TEST_F(CaseRoutesTest, SubmitRefusalsMapTo400And409) {
  install();
  EXPECT_EQ(call("POST", "/api/v1/cases", R"({"workflow": "nosuch", "params": {"plan": "p"}})").status, 400);
  const auto missing = call("POST", "/api/v1/cases", R"({"workflow": "dose"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"], "missing parameter plan");
  EXPECT_EQ(call("POST", "/api/v1/cases", "not json").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/cases", R"({"params": {}})").body["error"], "workflow is required");
  const auto typo = call("POST", "/api/v1/cases", R"({"workflow": "dose", "param": {"plan": "p"}})");
  EXPECT_EQ(typo.status, 400);
  EXPECT_NE(typo.body["error"].get<std::string>().find("unknown field \"param\""), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/cases", R"({"workflow": "dose", "params": {"plan": ["a"]}})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/cases", R"({"workflow": "dose", "params": {"plan": "p"}, "priority": 1.5})").status,
            400);
  EXPECT_TRUE(service_.cases.empty());

  ASSERT_EQ(call("POST", "/api/v1/cases", R"({"id": "c-1", "workflow": "dose", "params": {"plan": "a"}})").status, 201);
  const auto conflict = call("POST", "/api/v1/cases", R"({"id": "c-1", "workflow": "dose", "params": {"plan": "b"}})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body["error"], "case c-1 exists with other parameters");
}

TEST_F(CaseRoutesTest, MutatingCallsNeedTheToken) {
  install();
  const std::string body = R"({"workflow": "dose", "params": {"plan": "p1"}})";
  const auto anonymous = call("POST", "/api/v1/cases", body, "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_NE(anonymous.body["error"].get<std::string>().find("Authorization: Bearer"), std::string::npos);
  EXPECT_EQ(anonymous.headers.at("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(call("POST", "/api/v1/cases", body, "wrong").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/cases/c-1/cancel", "", "").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/cases/c-1/retry", "", "").status, 401);
  EXPECT_TRUE(service_.cases.empty());
  EXPECT_TRUE(service_.cancelled.empty());
  EXPECT_TRUE(service_.retried.empty());

  EXPECT_EQ(call("GET", "/api/v1/cases", "", "").status, 200);  // reads are open
  EXPECT_EQ(call("POST", "/api/v1/cases", body).status, 201);
}

TEST_F(CaseRoutesTest, WithoutATokenConfiguredEveryoneMayWrite) {
  install(/*token=*/"");
  EXPECT_EQ(call("POST", "/api/v1/cases", R"({"workflow": "dose", "params": {"plan": "p1"}})", "").status, 201);
}

TEST_F(CaseRoutesTest, BearerSchemeIsCaseInsensitive) {
  http::ServerRequest request;
  request.headers["authorization"] = "bearer  s3cret ";
  EXPECT_FALSE(check_bearer_token(request, kToken).has_value());
  request.headers["authorization"] = "Basic czNjcmV0";
  ASSERT_TRUE(check_bearer_token(request, kToken).has_value());
  EXPECT_EQ(check_bearer_token(request, kToken)->status, 401);
}

TEST_F(CaseRoutesTest, ListsNewestFirstAndFilters) {
  seed_three();
  install();
  const auto all = call("GET", "/api/v1/cases");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(ids(all.body), (std::vector<std::string>{"c-3", "c-2", "c-1"}));

  EXPECT_EQ(ids(call("GET", "/api/v1/cases?status=executing").body), (std::vector<std::string>{"c-2"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/cases?status=EXECUTING&workflow=dose").body), (std::vector<std::string>{"c-2"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/cases?workflow=scan").body), (std::vector<std::string>{"c-3"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/cases?limit=2").body), (std::vector<std::string>{"c-3", "c-2"}));
  EXPECT_TRUE(ids(call("GET", "/api/v1/cases?status=FAILED").body).empty());
}

TEST_F(CaseRoutesTest, ListRefusesAnUnknownStatusOrLimit) {
  install();
  const auto bad = call("GET", "/api/v1/cases?status=RUNNING");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"],
            "unknown status \"RUNNING\" (valid: QUEUED, PROCESSING, EXECUTING, COMPLETED, FAILED, CANCELLED)");
  EXPECT_EQ(call("GET", "/api/v1/cases?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/cases?limit=ten").status, 400);
}

TEST_F(CaseRoutesTest, ShowsACaseWithHistoryAndAttempts) {
  seed_three();
  install();
  const auto shown = call("GET", "/api/v1/cases/c-2");
  ASSERT_EQ(shown.status, 200) << shown.body;
  const auto& c = shown.body;
  EXPECT_EQ(c["status"], "EXECUTING");
  EXPECT_EQ(c["current_step"], 1);
  EXPECT_EQ(c["attempt"], 2);
  EXPECT_EQ(c["worker_id"], "gpu-01");
  EXPECT_EQ(c["progress"], 45);
  EXPECT_EQ(c["progress_message"], "epoch 3/10");
  EXPECT_EQ(c["cancel_requested"], false);
  EXPECT_EQ(c["created_at"], "2023-11-14T22:10:00.000Z");
  EXPECT_TRUE(c["not_before"].is_null());
  EXPECT_DOUBLE_EQ(c["age_seconds"].get<double>(), 300.0);

  ASSERT_EQ(c["history"].size(), 2u);
  EXPECT_EQ(c["history"][1], (json{{"at", "2023-11-14T22:11:00.000Z"},
                                   {"status", "EXECUTING"},
                                   {"step", 1},
                                   {"attempt", 2},
                                   {"worker_id", "gpu-01"},
                                   {"message", "started"}}));
  ASSERT_EQ(c["attempts"].size(), 2u);
  const auto& first = c["attempts"][0];
  EXPECT_EQ(first["step_name"], "simulate");
  EXPECT_EQ(first["status"], "FAILED");
  EXPECT_EQ(first["gpus"], (json{0, 1}));
  EXPECT_EQ(first["pid"], 4242);
  EXPECT_EQ(first["exit_code"], 3);
  EXPECT_EQ(first["output_tail"], "out of memory\n");
  EXPECT_EQ(first["finished_at"], "2023-11-14T22:11:30.000Z");
  EXPECT_TRUE(c["attempts"][1]["finished_at"].is_null());
  EXPECT_EQ(c["attempts"][1]["status"], "RUNNING");
}

TEST_F(CaseRoutesTest, ShowAnswers404ForAnUnknownCase) {
  install();
  const auto missing = call("GET", "/api/v1/cases/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"], "no case named nope");
}

TEST_F(CaseRoutesTest, CancelAndRetryAnswer202) {
  install();
  const auto cancelled = call("POST", "/api/v1/cases/c-2/cancel", R"({"reason": "wrong plan"})");
  EXPECT_EQ(cancelled.status, 202);
  EXPECT_EQ(cancelled.body, (json{{"id", "c-2"}, {"status", "cancel requested"}}));
  EXPECT_EQ(call("POST", "/api/v1/cases/c-3/cancel").status, 202);  // no body at all is fine
  EXPECT_EQ(service_.cancelled, (std::vector<std::pair<std::string, std::string>>{{"c-2", "wrong plan"}, {"c-3", ""}}));

  const auto retried = call("POST", "/api/v1/cases/c-2/retry");
  EXPECT_EQ(retried.status, 202);
  EXPECT_EQ(retried.body["status"], "retry requested");
  EXPECT_EQ(service_.retried, (std::vector<std::string>{"c-2"}));
}

TEST_F(CaseRoutesTest, CancelAndRetryMapConflictsAndUnknownCases) {
  install();
  service_.ended.insert("c-1");
  const auto conflict = call("POST", "/api/v1/cases/c-1/cancel");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body["error"], "case c-1 already ended");
  EXPECT_EQ(call("POST", "/api/v1/cases/c-1/retry").status, 409);
  EXPECT_EQ(call("POST", "/api/v1/cases/nope/cancel").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/cases/c-2/cancel", R"({"reason": 5})").status, 400);
}

TEST_F(CaseRoutesTest, WithoutACaseServiceTheRoutesAreAbsent) {
  ApiDeps deps;
  deps.database_path = database_;
  ConductorApi(deps).install(router_);
  EXPECT_EQ(call("GET", "/api/v1/cases").status, 404);
}

TEST(CaseJson, ProgressIsNullWhileUnknown) {
  CaseRecord record;
  record.id = "c-1";
  EXPECT_TRUE(case_to_json(record, TimePoint{})["progress"].is_null());
  EXPECT_TRUE(case_to_json(record, TimePoint{})["created_at"].is_null());
  record.progress = 0;
  EXPECT_EQ(case_to_json(record, TimePoint{})["progress"], 0);
}

TEST(CaseJson, ErrorStatusesFollowTheErrorCode) {
  EXPECT_EQ(http_status_for(Errc::invalid_argument), 400);
  EXPECT_EQ(http_status_for(Errc::not_found), 404);
  EXPECT_EQ(http_status_for(Errc::conflict), 409);
  EXPECT_EQ(http_status_for(Errc::unavailable), 503);
  EXPECT_EQ(http_status_for(Errc::database), 500);
}

}  // namespace
}  // namespace baton::conductor
