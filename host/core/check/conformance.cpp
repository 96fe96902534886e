#include "check/conformance.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "plugin/instance.h"
#include "util/subprocess.h"

namespace longalign::host {

bool CheckReport::passed() const {
  if (!load_error.empty() || results.empty()) return false;
  for (auto& r : results)
    if (!r.passed) return false;
  return true;
}

nlohmann::json CheckReport::to_json() const {
  nlohmann::json j = {{"file", file}, {"passed", passed()}};
  if (info) j["plugin"] = longalign::host::to_json(*info);
  if (!load_error.empty()) j["error"] = load_error;
  j["checks"] = nlohmann::json::array();
  for (auto& r : results) j["checks"].push_back({{"name", r.name}, {"passed", r.passed}, {"detail", r.detail}});
  return j;
}

namespace checks {

void run_check(const Report& report, const std::string& name, const std::function<std::string()>& body) {
  try {
    report({name, true, body()});
  } catch (const std::exception& e) {
    report({name, false, e.what()});
  }
}

}  // namespace checks

namespace {

// Writes one JSON line per event to fd; the parent reads them back.
void run_suites(const std::filesystem::path& file, const nlohmann::json& params, int fd) {
  auto emit = [fd](const nlohmann::json& j) {
    std::string line = j.dump() + "\n";
    if (write(fd, line.data(), line.size()) < 0) _exit(3);
  };
  std::shared_ptr<PluginLibrary> lib;
  try {
    lib = PluginLibrary::load(file);
  } catch (const std::exception& e) {
    emit({{"load_error", e.what()}});
    return;
  }
  emit({{"plugin", to_json(lib->info())}});
  checks::Report report = [&](CheckResult r) {
    emit({{"check", r.name}, {"passed", r.passed}, {"detail", r.detail}});
  };
  const PluginInfo& info = lib->info();
  report({"schema", true, std::to_string(info.params.size()) + " parameters, every default valid"});
  checks::run_check(report, "create with defaults", [&] {
    switch (info.kind) {
      case LA_KIND_DATA_SOURCE: DataSourceInstance(lib, params); break;
      case LA_KIND_BATCHING: BatchingInstance(lib, params); break;
      case LA_KIND_LOSS_WEIGHTING: LossWeightingInstance(lib, params); break;
      case LA_KIND_EVALUATOR: EvaluatorInstance(lib, params); break;
    }
    return std::string("created and destroyed");
  });
  switch (info.kind) {
    case LA_KIND_DATA_SOURCE: checks::data_source(lib, params, report); break;
    case LA_KIND_BATCHING: checks::batching(lib, params, report); break;
    case LA_KIND_LOSS_WEIGHTING: checks::loss_weighting(lib, params, report); break;
    case LA_KIND_EVALUATOR: checks::evaluator(lib, params, report); break;
  }
}

}  // namespace

CheckReport check_plugin(const std::filesystem::path& file, std::chrono::milliseconds timeout,
                         const nlohmann::json& params) {
  CheckReport rep;
  rep.file = file.string();
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    run_suites(file, params, fds[1]);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  // A plugin that hangs in a check must not hang the checker: the whole run has a deadline.
  std::string buf;
  char chunk[4096];
  bool hung = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fds[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) == 0) {
      hung = true;
      kill(pid, SIGKILL);
      break;
    }
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n > 0) buf.append(chunk, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);

  std::string last_started = "loading";
  size_t pos = 0;
  while (pos < buf.size()) {
    size_t end = buf.find('\n', pos);
    if (end == std::string::npos) break;
    auto j = nlohmann::json::parse(buf.substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    if (j.is_discarded()) continue;
    if (j.contains("load_error")) rep.load_error = j["load_error"];
    if (j.contains("plugin")) rep.info = plugin_info_from_json(j["plugin"]);
    if (j.contains("check")) {
      rep.results.push_back({j["check"], j["passed"], j["detail"]});
      last_started = "after check '" + rep.results.back().name + "'";
    }
  }
  if (hung) {
    rep.results.push_back({"completes", false, "the plugin hung " + last_started + " (no answer in " +
                                                   std::to_string(timeout.count()) + " ms)"});
  } else if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0)) {
    ProcessResult pr;
    if (WIFSIGNALED(status)) pr.signal = WTERMSIG(status);
    else pr.exit_code = WEXITSTATUS(status);
    rep.results.push_back({"completes", false, "the plugin " + pr.describe() + " " + last_started});
  }
  return rep;
}

}  // namespace longalign::host
