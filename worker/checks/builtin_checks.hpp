#pragma once

#include <functional>

#include "common/core/result.hpp"
#include "worker/checks/check_context.hpp"
#include "worker/checks/check_params.hpp"

namespace baton::worker::checks {

// Each reads its params, checks params.status(), then measures. An Error
// means the check could not be done (UNKNOWN); a report carries the state.
using CheckFunction = std::function<Result<CheckReport>(const CheckContext&, CheckParams&)>;

Result<CheckReport> check_disk(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_memory(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_cpu(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_gpu(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_process(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_http(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_tcp(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_sqlite(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_file(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_logscan(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_rabbitmq_queue(const CheckContext& context, CheckParams& params);
Result<CheckReport> check_plugin(const CheckContext& context, CheckParams& params);

}  // namespace baton::worker::checks
