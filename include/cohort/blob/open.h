// Opening a BlobStorage by URI or by the CLOUD_PROVIDER environment variable
// (seed question 361): application code names a URI in its configuration and
// never a vendor; switching clouds is a configuration change.
//
//   asio::io_context io;
//   cohort::RealContext real(io.get_executor());
//   auto storage = cohort::blob::Open("file:///var/lib/app/blobs", real.context());
//   if (!storage.ok()) return storage.status();
//
// See cohort/blob/uri.h for the URI grammar and the environment variables, and
// docs/blob.md for choosing a backend.
#ifndef COHORT_BLOB_OPEN_H_
#define COHORT_BLOB_OPEN_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "cohort/base/context.h"
#include "cohort/blob/blob_storage.h"
#include "cohort/blob/uri.h"

namespace cohort::blob {

// Opens the backend that `uri` names, with default backend options.
// `ctx.clock` must be set and must outlive the returned storage (it stamps
// modification times and checks deadlines).
//
// Returns:
//   kInvalidArgument    a malformed URI or Context (the message says what to
//                       change); never retried.
//   kFailedPrecondition file://: the root is in use by another process, or
//                       is not a directory.
//   kPermissionDenied, kUnavailable  file://: the root cannot be created or
//                       opened (errno in the message).
absl::StatusOr<std::unique_ptr<BlobStorage>> Open(std::string_view uri, const Context& ctx);

// Opens an already parsed URI; same contract as Open.
absl::StatusOr<std::unique_ptr<BlobStorage>> OpenParsed(const BlobUri& uri, const Context& ctx);

// Opens the storage that CLOUD_PROVIDER selects in the process environment
// (see BlobUriFromEnvironment). Same contract as Open; kInvalidArgument also
// names every missing variable. Call it while no thread modifies the
// environment.
absl::StatusOr<std::unique_ptr<BlobStorage>> OpenDefault(const Context& ctx);

// As OpenDefault, reading variables through `env` (for tests and for services
// that keep their configuration elsewhere).
absl::StatusOr<std::unique_ptr<BlobStorage>> OpenFromEnvironment(const EnvironmentLookup& env,
                                                                 const Context& ctx);

}  // namespace cohort::blob

#endif  // COHORT_BLOB_OPEN_H_
