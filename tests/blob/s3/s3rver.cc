#include "s3rver.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace cohort::blob::s3::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<S3rver>> S3rver::Start(std::vector<std::string> buckets) {
  const fs::path script = fs::path(COHORT_NODE_TOOLS_DIR) / "node_modules/s3rver/bin/s3rver.js";
  if (!fs::exists(script)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "s3rver is not installed at ", script.string(), "; run scripts/install_node_tools.sh"));
  }
  char pattern[] = "/tmp/cohort-s3rver-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::InternalError("mkdtemp failed");
  const fs::path dir = pattern;
  fs::create_directories(dir / "data");
  const std::string log = (dir / "s3rver.log").string();

  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which
  // OpenSSL 3 (Node >= 17) only offers through its legacy provider.
  std::vector<std::string> args = {"node", "--openssl-legacy-provider", script.string(), "-d",
                                   (dir / "data").string(),
                                   "-a", "127.0.0.1", "-p", "0", "--no-vhost-buckets"};
  for (const std::string& bucket : buckets) {
    args.push_back("--configure-bucket");
    args.push_back(bucket);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    fs::remove_all(dir);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start node (", std::strerror(rc), "); install Node.js >= 18"));
  }
  // s3rver prints "S3rver listening on 127.0.0.1:<port>" once it accepts
  // connections. Waiting on that line is condition-based; the bound only
  // keeps a broken installation from hanging the test.
  constexpr std::string_view kReady = "listening on 127.0.0.1:";
  for (int i = 0; i < 1500; ++i) {
    const std::string output = ReadAll(log);
    if (const std::size_t at = output.find(kReady); at != std::string::npos) {
      const std::size_t start = at + kReady.size();
      const std::size_t end = output.find_first_not_of("0123456789", start);
      if (end != std::string::npos && end > start) {
        return std::unique_ptr<S3rver>(new S3rver(
            pid, dir.string(), "http://127.0.0.1:" + output.substr(start, end - start)));
      }
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      fs::remove_all(dir);
      return absl::UnavailableError(absl::StrCat("s3rver exited at start: ", output));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string output = ReadAll(log);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  fs::remove_all(dir);
  return absl::UnavailableError(absl::StrCat("s3rver did not start within 30 s: ", output));
}

S3rver::~S3rver() {
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

}  // namespace cohort::blob::s3::testing
