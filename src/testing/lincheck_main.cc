// cohort_lincheck: checks a JSON-lines key-value history for linearizability.
//
//   cohort_lincheck [--max-steps N] [--timeout SECONDS] [--max-bytes N] [FILE | -]
//
// Reads FILE (or stdin when FILE is "-" or absent); the format is described
// in include/cohort/testing/history.h. Prints the verdict and, when the
// history is not linearizable, an explanation.
// Exit status: 0 linearizable, 1 not linearizable, 2 unknown (budget or
// timeout), 3 bad input or usage.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "cohort/base/clock.h"
#include "cohort/testing/history.h"
#include "cohort/testing/linearizability.h"

namespace {

constexpr int kLinearizable = 0;
constexpr int kNotLinearizable = 1;
constexpr int kUnknown = 2;
constexpr int kBadInput = 3;

int Usage(const char* why) {
  std::fprintf(stderr,
               "cohort_lincheck: %s\n"
               "usage: cohort_lincheck [--max-steps N] [--timeout SECONDS] [--max-bytes N] "
               "[FILE | -]\n",
               why);
  return kBadInput;
}

bool ParsePositive(const char* text, std::int64_t* out) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v <= 0) return false;
  *out = v;
  return true;
}

// Reads all of `file`, failing once more than `max_bytes` arrive.
bool ReadAll(std::FILE* file, std::int64_t max_bytes, std::string* out) {
  char buffer[1 << 16];
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file);
    out->append(buffer, n);
    if (static_cast<std::int64_t>(out->size()) > max_bytes) return false;
    if (n < sizeof buffer) return std::ferror(file) == 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cohort::testing;  // NOLINT
  std::int64_t max_steps = CheckOptions{}.max_steps;
  std::int64_t timeout_s = 0;
  std::int64_t max_bytes = std::int64_t{1} << 30;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--max-steps" && has_value) {
      if (!ParsePositive(argv[++i], &max_steps)) return Usage("--max-steps needs a positive integer");
    } else if (arg == "--timeout" && has_value) {
      if (!ParsePositive(argv[++i], &timeout_s)) return Usage("--timeout needs a positive integer");
    } else if (arg == "--max-bytes" && has_value) {
      if (!ParsePositive(argv[++i], &max_bytes)) return Usage("--max-bytes needs a positive integer");
    } else if (arg == "-h" || arg == "--help") {
      return Usage("checks a JSON-lines history; exit 0 linearizable, 1 not, 2 unknown, 3 bad input");
    } else if (path == nullptr && (arg == "-" || !arg.starts_with("-"))) {
      path = argv[i];
    } else {
      return Usage(("unexpected argument " + std::string(arg)).c_str());
    }
  }

  std::string text;
  std::FILE* file = stdin;
  if (path != nullptr && std::string_view(path) != "-") {
    file = std::fopen(path, "rb");
    if (file == nullptr) {
      std::fprintf(stderr, "cohort_lincheck: cannot open %s: %s\n", path, std::strerror(errno));
      return kBadInput;
    }
  }
  const bool read = ReadAll(file, max_bytes, &text);
  if (file != stdin) std::fclose(file);
  if (!read) {
    std::fprintf(stderr, "cohort_lincheck: cannot read the history (or it exceeds %lld bytes)\n",
                 static_cast<long long>(max_bytes));
    return kBadInput;
  }
  const char* name = path == nullptr ? "-" : path;

  auto history = ParseHistory(text);
  if (!history.ok()) {
    std::fprintf(stderr, "cohort_lincheck: %s: %s\n", name,
                 std::string(history.status().message()).c_str());
    return kBadInput;
  }
  std::unique_ptr<cohort::Clock> clock = cohort::NewRealClock();
  CheckOptions options;
  options.max_steps = max_steps;
  if (timeout_s > 0) {
    options.clock = clock.get();
    options.deadline = clock->Now() + absl::Seconds(timeout_s);
  }
  const std::unique_ptr<Model> model = NewRegisterModel();
  auto result = CheckLinearizability(*history, *model, options);
  if (!result.ok()) {
    std::fprintf(stderr, "cohort_lincheck: %s: %s\n", name,
                 std::string(result.status().message()).c_str());
    return kBadInput;
  }
  std::printf("%s: %s (%zu operations, %zu partitions checked, %lld steps)\n", name,
              std::string(CheckOutcomeName(result->outcome)).c_str(), result->operations,
              result->partitions, static_cast<long long>(result->steps));
  std::fputs(result->explanation.c_str(), stdout);
  switch (result->outcome) {
    case CheckOutcome::kLinearizable: return kLinearizable;
    case CheckOutcome::kNotLinearizable: return kNotLinearizable;
    case CheckOutcome::kUnknown: return kUnknown;
  }
  return kUnknown;
}
