// CLOUD_PROVIDER: the seed's way (question 361) of choosing the storage
// implementation at deployment time. The mapping is a pure function of the
// lookup, so that it is tested without touching the process environment.
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "blob/strings.h"
#include "cohort/blob/uri.h"

namespace cohort::blob {
namespace {

using internal::Av;

// Percent-encodes everything outside RFC 3986's unreserved set (and '/', for
// file paths), so that any variable value survives ParseBlobUri unchanged.
std::string Escape(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

class Variables {
 public:
  explicit Variables(const EnvironmentLookup& env) : env_(env) {}

  std::optional<std::string> Get(std::string_view name) const {
    std::optional<std::string> value = env_(name);
    if (value.has_value() && value->empty()) return std::nullopt;
    return value;
  }

  std::string Require(std::string_view name) {
    std::optional<std::string> value = Get(name);
    if (!value.has_value()) missing_.emplace_back(name);
    return value.value_or("");
  }

  void RequireOneOf(std::string_view first, std::string_view second, std::string* out) {
    std::optional<std::string> value = Get(first);
    if (!value.has_value()) value = Get(second);
    if (!value.has_value()) {
      missing_.push_back(absl::StrCat(Av(first), " (or ", Av(second), ")"));
    }
    *out = value.value_or("");
  }

  absl::Status Check(std::string_view provider) const {
    if (missing_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "CLOUD_PROVIDER=", Av(provider), " needs ", absl::StrJoin(missing_, ", "),
        missing_.size() == 1 ? ", which is not set" : ", which are not set"));
  }

 private:
  const EnvironmentLookup& env_;
  std::vector<std::string> missing_;
};

void AppendParam(std::string& uri, bool& first, std::string_view name, std::string_view value) {
  absl::StrAppend(&uri, first ? "?" : "&", Av(name), "=", Escape(value, false));
  first = false;
}

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    const char* value = std::getenv(key.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::string> BlobUriFromEnvironment(const EnvironmentLookup& env) {
  Variables vars(env);
  const std::optional<std::string> raw = vars.Get("CLOUD_PROVIDER");
  if (!raw.has_value()) {
    return absl::InvalidArgumentError(
        "CLOUD_PROVIDER is not set: set it to aws, gcp, local or memory (see "
        "cohort/blob/uri.h for the variables each one needs)");
  }
  const std::string provider = absl::AsciiStrToLower(*raw);
  if (provider == "memory") {
    return absl::StrCat("mem://", Escape(vars.Get("COHORT_BLOB_NAME").value_or(""), false));
  }
  if (provider == "local") {
    const std::string root = vars.Require("COHORT_BLOB_ROOT");
    if (absl::Status s = vars.Check(provider); !s.ok()) return s;
    if (!root.starts_with('/')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "COHORT_BLOB_ROOT must be an absolute directory path, got \"", root, "\""));
    }
    return absl::StrCat("file://", Escape(root, true));
  }
  if (provider == "aws") {
    const std::string bucket = vars.Require("COHORT_BLOB_BUCKET");
    std::string region;
    vars.RequireOneOf("AWS_REGION", "AWS_DEFAULT_REGION", &region);
    if (absl::Status s = vars.Check(provider); !s.ok()) return s;
    std::string uri = absl::StrCat("s3://", Escape(bucket, false));
    bool first = true;
    AppendParam(uri, first, "region", region);
    if (auto endpoint = vars.Get("COHORT_BLOB_ENDPOINT")) {
      AppendParam(uri, first, "endpoint", *endpoint);
    }
    if (auto path_style = vars.Get("COHORT_BLOB_PATH_STYLE")) {
      AppendParam(uri, first, "path_style", *path_style);
    }
    return uri;
  }
  if (provider == "gcp") {
    const std::string bucket = vars.Require("COHORT_BLOB_BUCKET");
    if (absl::Status s = vars.Check(provider); !s.ok()) return s;
    std::string uri = absl::StrCat("gs://", Escape(bucket, false));
    bool first = true;
    if (auto endpoint = vars.Get("COHORT_BLOB_ENDPOINT")) {
      AppendParam(uri, first, "endpoint", *endpoint);
    }
    return uri;
  }
  return absl::InvalidArgumentError(absl::StrCat("CLOUD_PROVIDER=\"", *raw,
                                                 "\" is not known: use aws, gcp, local or memory"));
}

}  // namespace cohort::blob
