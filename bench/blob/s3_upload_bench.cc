// A 256 MiB upload from a file on disk to s3rver, through cohort's
// UploadFile beside the AWS SDK for JavaScript's lib-storage Upload, with the
// same part size and concurrency, in the same run. Prints JSON: per run and
// the medians of wall time, MB/s, client CPU seconds (and per GiB), client
// peak RSS, and s3rver's CPU seconds during each upload (/proc/<pid>/stat).
//
// Each client runs in its own process so that its CPU time and peak RSS are
// its own: cohort as this program re-executed with --client, the SDK as
// `node tools/node/upload_bench.mjs`. The order alternates between runs.
// Client CPU is measured twice for both: from just before the upload, once
// the client exists (client_cpu_s), and for the whole process, start-up
// included (client_process_cpu_s).
//
//   ninja -C build blob_s3_upload_bench
//   build/bench/blob/blob_s3_upload_bench [--size_mib=256] [--part_mib=8]
//       [--concurrency=4] [--runs=3] [--checksum=crc32c|md5] [--sign_payload=1|0]
//       [--bypass_page_cache=1|0]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "blob/s3/s3_storage.h"
#include "cohort/base/clock.h"
#include "cohort/blob/transfer.h"
#include "s3rver.h"

namespace {

using cohort::blob::s3::testing::S3rver;

double CpuSeconds(const rusage& u) {
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The client side: one UploadFile; prints {"wall_s", "cpu_s", "process_cpu_s",
// "peak_rss_mib"}: cpu_s counts from just before the upload (the client
// created), as the SDK's side does; process_cpu_s the whole process.
int RunClient(const std::string& endpoint, const std::string& key, const std::string& file,
              std::uint64_t part, int concurrency, const std::string& checksum, bool sign_payload,
              bool bypass_page_cache) {
  using namespace cohort::blob;  // NOLINT
  asio::io_context io;
  std::unique_ptr<cohort::Clock> clock = cohort::NewRealClock();
  cohort::Context ctx;
  ctx.executor = io.get_executor();
  ctx.clock = clock.get();
  ctx.seed = 1;
  S3Options options;
  options.bucket = "bench";
  options.endpoint = endpoint;
  options.path_style = true;
  options.part_checksum =
      checksum == "crc32c" ? s3::PartChecksum::kCrc32c : s3::PartChecksum::kContentMd5;
  options.client.sign_payload = sign_payload;
  options.credentials = s3::NewStaticCredentialsProvider(
      s3::Credentials{.access_key_id = "S3RVER", .secret_access_key = "S3RVER"});
  auto storage = OpenS3(options, ctx);
  if (!storage.ok()) {
    std::fprintf(stderr, "%s\n", storage.status().ToString().c_str());
    return 1;
  }
  TransferOptions transfer;
  transfer.bypass_page_cache = bypass_page_cache;
  transfer.part_size = part;
  transfer.concurrency = concurrency;
  std::optional<absl::StatusOr<BlobAttributes>> result;
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, UploadFile(**storage, file, key, transfer),
                 [&](std::exception_ptr, absl::StatusOr<BlobAttributes> r) { result = r; });
  io.run();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result || !result->ok()) {
    std::fprintf(stderr, "upload failed: %s\n",
                 result ? result->status().ToString().c_str() : "no result");
    return 1;
  }
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  std::printf(
      "{\"wall_s\": %.3f, \"cpu_s\": %.3f, \"process_cpu_s\": %.3f, \"peak_rss_mib\": %.1f}\n",
      wall, CpuSeconds(u) - CpuSeconds(before), CpuSeconds(u),
      static_cast<double>(u.ru_maxrss) / 1024.0);
  return 0;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

// Runs `command`, returns its one JSON line parsed into numbers.
std::map<std::string, double> RunMeasured(const std::string& command) {
  std::map<std::string, double> out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char line[512];
  std::string text;
  while (std::fgets(line, sizeof(line), pipe) != nullptr) text += line;
  if (pclose(pipe) != 0) {
    std::fprintf(stderr, "failed: %s\n", command.c_str());
    std::exit(1);
  }
  for (const char* name : {"wall_s", "cpu_s", "process_cpu_s", "peak_rss_mib"}) {
    const std::size_t at = text.find(absl::StrCat("\"", name, "\":"));
    if (at == std::string::npos) continue;
    out[name] = std::strtod(text.c_str() + at + std::strlen(name) + 3, nullptr);
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0)
      return std::string(argv[i]).substr(prefix.size());
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--client") {
    if (argc != 10) return 2;
    return RunClient(argv[2], argv[3], argv[4], std::strtoull(argv[5], nullptr, 10),
                     std::atoi(argv[6]), argv[7], std::string(argv[8]) == "1",
                     std::string(argv[9]) == "1");
  }
  const std::uint64_t size_mib = std::stoull(Flag(argc, argv, "size_mib", "256"));
  const std::uint64_t part = std::stoull(Flag(argc, argv, "part_mib", "8")) << 20;
  const int concurrency = std::stoi(Flag(argc, argv, "concurrency", "4"));
  const int runs = std::stoi(Flag(argc, argv, "runs", "3"));
  // cohort's per-part checksum (md5: Content-MD5 + ETag check; crc32c:
  // x-amz-checksum-crc32c) and payload signing (SHA-256 of each part, or
  // UNSIGNED-PAYLOAD).
  const std::string checksum = Flag(argc, argv, "checksum", "crc32c");
  const std::string sign = Flag(argc, argv, "sign_payload", "1");
  // Direct reads of the file's parts (TransferOptions::bypass_page_cache).
  const std::string bypass = Flag(argc, argv, "bypass_page_cache", "1");

  auto server = S3rver::Start({"bench"});
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("cohort_s3_bench_", getpid());
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "source.bin").string();
  {
    std::ofstream out(file, std::ios::binary);
    std::string chunk(1 << 20, '\0');
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    for (std::uint64_t i = 0; i < size_mib; ++i) {
      for (char& c : chunk) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
      }
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  }
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string endpoint = (*server)->endpoint();
  const std::string cohort_cmd =
      absl::StrCat("'", self, "' --client ", endpoint, " cohort.bin '", file, "' ", part, " ",
                   concurrency, " ", checksum, " ", sign, " ", bypass);
  const std::string sdk_cmd =
      absl::StrCat("node '", COHORT_NODE_TOOLS_DIR, "/upload_bench.mjs' ", endpoint,
                   " bench sdk.bin '", file, "' ", part, " ", concurrency);
  const double mb = static_cast<double>(size_mib << 20) / 1e6;
  const double gib = static_cast<double>(size_mib) / 1024.0;
  std::map<std::string, std::map<std::string, std::vector<double>>> all;
  std::string runs_json;
  for (int r = 0; r < runs; ++r) {
    std::vector<std::pair<std::string, std::string>> order = {{"cohort", cohort_cmd},
                                                              {"aws_sdk_js", sdk_cmd}};
    if (r % 2 == 1) std::swap(order[0], order[1]);
    for (const auto& [name, command] : order) {
      const double server_before = ProcessCpuSeconds((*server)->pid());
      std::map<std::string, double> m = RunMeasured(command);
      const double server_cpu = ProcessCpuSeconds((*server)->pid()) - server_before;
      auto& a = all[name];
      a["wall_s"].push_back(m["wall_s"]);
      a["mb_per_s"].push_back(mb / m["wall_s"]);
      a["client_cpu_s"].push_back(m["cpu_s"]);
      a["client_cpu_s_per_gib"].push_back(m["cpu_s"] / gib);
      a["client_process_cpu_s"].push_back(m["process_cpu_s"]);
      a["client_process_cpu_s_per_gib"].push_back(m["process_cpu_s"] / gib);
      a["client_peak_rss_mib"].push_back(m["peak_rss_mib"]);
      a["s3rver_cpu_s"].push_back(server_cpu);
      absl::StrAppend(&runs_json, runs_json.empty() ? "" : ",\n    ",
                      absl::StrFormat("{\"run\": %d, \"client\": \"%s\", \"wall_s\": %.3f, "
                                      "\"mb_per_s\": %.1f, \"client_cpu_s\": %.3f, "
                                      "\"client_process_cpu_s\": %.3f, "
                                      "\"client_peak_rss_mib\": %.1f, \"s3rver_cpu_s\": %.2f}",
                                      r, name, m["wall_s"], mb / m["wall_s"], m["cpu_s"],
                                      m["process_cpu_s"], m["peak_rss_mib"], server_cpu));
    }
  }
  std::printf(
      "{\n  \"object_mib\": %llu, \"part_mib\": %llu, \"concurrency\": %d, \"runs\": %d,\n"
      "  \"cohort_checksum\": \"%s\", \"cohort_sign_payload\": %s,"
      " \"cohort_bypass_page_cache\": %s,\n",
      static_cast<unsigned long long>(size_mib), static_cast<unsigned long long>(part >> 20),
      concurrency, runs, checksum.c_str(), sign == "1" ? "true" : "false",
      bypass == "1" ? "true" : "false");
  std::printf("  \"per_run\": [\n    %s\n  ],\n  \"median\": {\n", runs_json.c_str());
  bool first = true;
  for (const auto& [name, metrics] : all) {
    std::printf("%s    \"%s\": {", first ? "" : ",\n", name.c_str());
    bool first_metric = true;
    for (const auto& [metric, values] : metrics) {
      std::printf("%s\"%s\": %.3f", first_metric ? "" : ", ", metric.c_str(), Median(values));
      first_metric = false;
    }
    std::printf("}");
    first = false;
  }
  // cohort's CPU over the SDK's, per run pair and as the median of those.
  std::vector<double> ratios, process_ratios;
  for (int r = 0; r < runs; ++r) {
    ratios.push_back(all["cohort"]["client_cpu_s"][r] / all["aws_sdk_js"]["client_cpu_s"][r]);
    process_ratios.push_back(all["cohort"]["client_process_cpu_s"][r] /
                             all["aws_sdk_js"]["client_process_cpu_s"][r]);
  }
  std::printf("\n  },\n  \"cpu_ratio_median\": %.3f, \"process_cpu_ratio_median\": %.3f\n}\n",
              Median(ratios), Median(process_ratios));
  std::filesystem::remove_all(dir);
  return 0;
}
