// A process that uploads one file with a journal, for resume_test.cc to
// SIGKILL in the middle: upload_child <endpoint> <bucket> <key> <file>
// <journal> <part_size> <concurrency>. Exit code 0 when the upload
// completed, 1 otherwise (the status on stderr).
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>

#include "blob/s3/s3_storage.h"
#include "cohort/base/clock.h"
#include "cohort/blob/transfer.h"

int main(int argc, char** argv) {
  using namespace cohort::blob;  // NOLINT
  if (argc != 8) {
    std::fprintf(stderr, "usage: upload_child endpoint bucket key file journal part_size conc\n");
    return 2;
  }
  asio::io_context io;
  std::unique_ptr<cohort::Clock> clock = cohort::NewRealClock();
  cohort::Context ctx;
  ctx.executor = io.get_executor();
  ctx.clock = clock.get();
  ctx.seed = 1;
  S3Options options;
  options.bucket = argv[2];
  options.endpoint = argv[1];
  options.path_style = true;
  options.credentials = s3::NewStaticCredentialsProvider(
      s3::Credentials{.access_key_id = "S3RVER", .secret_access_key = "S3RVER"});
  absl::StatusOr<std::unique_ptr<BlobStorage>> storage = OpenS3(options, ctx);
  if (!storage.ok()) {
    std::fprintf(stderr, "%s\n", storage.status().ToString().c_str());
    return 1;
  }
  TransferOptions transfer;
  transfer.journal_path = argv[5];
  transfer.part_size = std::strtoull(argv[6], nullptr, 10);
  transfer.concurrency = std::atoi(argv[7]);
  std::optional<absl::StatusOr<BlobAttributes>> result;
  asio::co_spawn(io, UploadFile(**storage, argv[4], argv[3], transfer),
                 [&](std::exception_ptr e, absl::StatusOr<BlobAttributes> r) {
                   if (e) std::rethrow_exception(e);
                   result = std::move(r);
                 });
  io.run();
  if (!result || !result->ok()) {
    std::fprintf(stderr, "%s\n", result ? result->status().ToString().c_str() : "no result");
    return 1;
  }
  return 0;
}
