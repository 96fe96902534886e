// The runner's live metrics, with real components: a running sweep's endpoint passes `promtool
// check metrics`, a real Prometheus (Debian's `prometheus`, started here on a free loopback port
// with a temporary config) scrapes it and answers PromQL over the sweep's series, and a port in
// use is bad input that names a free port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "test_dirs.h"
#include "util/ports.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

using namespace std::chrono_literals;


// Starts argv in the background with its output in `log`.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void stop(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

std::string curl(const std::string& url) {
  ProcessResult r = run_process({"/usr/bin/curl", "-sf", "--max-time", "5", url}, 10s);
  return r.ok() ? r.out : "";
}

std::string write_sweep(const test::ScratchDir& d) {
  std::ofstream(d.path / "live.toml") << R"(name = "live"
[config]
train.epochs = 4
train.sequences_per_step = 2
batching.plugin = "naive"
checkpoint.save = false
eval.every_steps = 50
[[data]]
source = "synthetic-copy"
params = { count = 1000 }
[[evaluate]]
name = "ppl"
evaluator = "perplexity"
data = { source = "synthetic-copy", params = { count = 4 } }
)";
  return (d.path / "live.toml").string();
}

TEST(MetricsEndpoint, ARealPrometheusScrapesARunningSweep) {
  ASSERT_TRUE(run_process({"/usr/bin/prometheus", "--version"}, 30s).ok()) << "needs Debian's prometheus (apt install prometheus)";
  test::ScratchDir d("metrics");
  const int port = free_loopback_port(), prom_port = free_loopback_port();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  pid_t sweep = spawn({test::kBin.string(), "run", write_sweep(d), "--db", (d.path / "live.sqlite").string(), "--metrics-port",
                       std::to_string(port)},
                      d.path / "run.log");
  std::ofstream(d.path / "prometheus.yml") << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: longalign\n"
                                              "    static_configs:\n      - targets: ['" + target + "']\n";
  pid_t prom = spawn({"/usr/bin/prometheus", "--config.file=" + (d.path / "prometheus.yml").string(),
                      "--storage.tsdb.path=" + (d.path / "tsdb").string(),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                     d.path / "prometheus.log");

  // Our endpoint, once a cell has reported a step, passes promtool.
  std::string exposition;
  for (auto until = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(200ms)) {
    exposition = curl("http://" + target + "/metrics");
    if (exposition.find("longalign_cell_step{") != std::string::npos) break;
  }
  ASSERT_NE(exposition.find("longalign_cell_step{"), std::string::npos) << exposition;
  std::ofstream(d.path / "scrape.txt") << exposition;
  ProcessResult check = run_process({"/bin/sh", "-c", "promtool check metrics < " + (d.path / "scrape.txt").string()}, 30s);
  EXPECT_TRUE(check.ok()) << check.out << check.err;

  // Prometheus has it, through PromQL: a few queries of our own, and every query of the live
  // dashboard (Grafana's variables filled in as Grafana would).
  std::vector<std::string> queries = {"longalign_cell_step", "longalign_cells{state=\"running\"}",
                                      "rate(longalign_cell_real_tokens_total[5s])"};
  nlohmann::json dashboard = nlohmann::json::parse(std::ifstream(LONGALIGN_SOURCE_DIR "/dashboards/live-sweep.json"));
  size_t from_dashboard = 0;
  for (auto& panel : dashboard["panels"])
    for (auto& target : panel["targets"]) {
      std::string q = target["expr"];
      for (auto [var, value] : {std::pair<std::string, std::string>{"$sweep", ".+"}, {"$__rate_interval", "10s"}})
        for (size_t at; (at = q.find(var)) != std::string::npos;) q.replace(at, var.size(), value);
      queries.push_back(q);
      ++from_dashboard;
    }
  ASSERT_GE(from_dashboard, 10u);
  for (const std::string& q : queries) {
    nlohmann::json answer;
    bool found = false;
    for (auto until = std::chrono::steady_clock::now() + 30s; !found && std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(500ms)) {
      ProcessResult r = run_process({"/usr/bin/curl", "-sf", "--max-time", "5", "-G", "--data-urlencode", "query=" + q,
                                     "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query"},
                                    10s);
      answer = nlohmann::json::parse(r.out, nullptr, false);
      found = answer.is_object() && answer.value("status", "") == "success" && !answer["data"]["result"].empty();
    }
    EXPECT_TRUE(found) << q << ": " << answer.dump();
  }
  stop(sweep);
  stop(prom);
}

TEST(MetricsEndpoint, FinishedCellsReachARealPushgatewayAndLeaveItWhenAsked) {
  ASSERT_TRUE(run_process({"/usr/bin/prometheus-pushgateway", "--version"}, 30s).ok())
      << "needs Debian's prometheus-pushgateway (apt install prometheus-pushgateway)";
  test::ScratchDir d("pushgateway");
  const int port = free_loopback_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  // Debian's build persists to /var/lib by default: this one keeps to memory.
  pid_t gateway = spawn({"/usr/bin/prometheus-pushgateway", "--web.listen-address=127.0.0.1:" + std::to_string(port),
                         "--persistence.file="},
                        d.path / "pushgateway.log");
  std::ofstream(d.path / "short.toml") << "name = \"short\"\nseeds = [0, 1]\n[config]\ncheckpoint.save = false\n"
                                          "[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 20 }\n";
  while (curl(url + "/metrics").empty()) std::this_thread::sleep_for(100ms);
  auto run = [&](const std::string& db, std::vector<std::string> extra) {
    std::vector<std::string> argv = {test::kBin.string(), "run", (d.path / "short.toml").string(), "--db", (d.path / db).string(),
                                     "--metrics-port", "0", "--pushgateway", url};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv, 120s);
  };
  ProcessResult r = run("a.sqlite", {});
  ASSERT_TRUE(r.ok()) << r.err;
  // The Pushgateway applies writes asynchronously (202 Accepted): poll for what to see.
  auto final_losses = [&] {
    std::istringstream lines(curl(url + "/metrics"));
    size_t n = 0;
    for (std::string line; std::getline(lines, line);)
      n += line.rfind("longalign_cell_result{", 0) == 0 && line.find("metric=\"train.final_loss\"") != std::string::npos;
    return n;
  };
  auto wait_for = [&](size_t n) {
    for (auto until = std::chrono::steady_clock::now() + 10s; final_losses() != n && std::chrono::steady_clock::now() < until;)
      std::this_thread::sleep_for(100ms);
    return final_losses();
  };
  EXPECT_EQ(wait_for(2), 2u) << "one group per cell, with its final loss";
  EXPECT_NE(curl(url + "/metrics").find("longalign_cell_succeeded{"), std::string::npos);

  r = run("b.sqlite", {"--pushgateway-delete"});
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(wait_for(0), 0u) << "the groups are deleted";
  stop(gateway);

  // Unreachable: a warning, and the sweep goes on.
  r = run("c.sqlite", {});
  EXPECT_TRUE(r.ok()) << r.err;
  EXPECT_NE(r.err.find("warning: the Pushgateway at 127.0.0.1:" + std::to_string(port) + " did not answer"), std::string::npos)
      << r.err;
}

TEST(MetricsEndpoint, APortInUseIsBadInputNamingAFreeOne) {
  test::ScratchDir d("metrics-port");
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  listen(holder, 1);
  socklen_t len = sizeof a;
  getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ProcessResult r = run_process({test::kBin.string(), "run", write_sweep(d), "--db", (d.path / "x.sqlite").string(),
                                 "--metrics-port", std::to_string(port)},
                                60s);
  close(holder);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("the metrics port 127.0.0.1:" + std::to_string(port) + " is in use: try --metrics-port "),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(d.path / "x.sqlite")) << "nothing is written on bad input";
}

}  // namespace
}  // namespace longalign::host
