#include "blob/s3/credential_sources.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "blob/s3/json_fields.h"
#include "blob/s3/metadata_client.h"
#include "blob/s3/shared_config.h"
#include "cohort/base/status.h"

namespace cohort::blob::s3 {
namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Env(const SourceConfig& config, std::string_view name) {
  std::optional<std::string> value = config.environment(name);
  return value ? *value : std::string();
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string ExpandHome(const SourceConfig& config, std::string path) {
  if (absl::StartsWith(path, "~/")) return Env(config, "HOME") + path.substr(1);
  return path;
}

// What an endpoint's HTTP status means for the chain.
absl::Status EndpointStatus(const HttpResponse& response, std::string_view what) {
  if (response.status == 200) return absl::OkStatus();
  std::string message = absl::StrCat(AV(what), " answered HTTP ", response.status);
  if (response.status == 401 || response.status == 403) {
    return absl::PermissionDeniedError(message);
  }
  if (response.status == 404) return absl::NotFoundError(message);
  return absl::UnavailableError(message);
}

// Loopback, or the link-local hosts of the ECS and EKS Pod Identity agents:
// the only hosts the SDKs let serve credentials over plain http.
bool IsAllowedContainerHost(std::string_view host) {
  return absl::StartsWith(AV(host), "127.") || host == "localhost" || host == "::1" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23";
}

}  // namespace

absl::StatusOr<Credentials> ParseCredentialsDocument(std::string_view json, std::string source) {
  absl::StatusOr<std::map<std::string, std::string>> fields = ParseJsonStringFields(json);
  if (!fields.ok()) {
    return absl::UnavailableError(absl::StrCat("credentials from ", source,
                                               " are not valid JSON: ", fields.status().message()));
  }
  auto get = [&](const char* key) {
    auto it = fields->find(key);
    return it == fields->end() ? std::string() : it->second;
  };
  if (const std::string code = get("Code"); !code.empty() && code != "Success") {
    return absl::UnavailableError(
        absl::StrCat("credentials from ", source, " report Code \"", code, "\""));
  }
  Credentials c;
  c.access_key_id = get("AccessKeyId");
  c.secret_access_key = get("SecretAccessKey");
  c.session_token = get("Token");
  c.source = std::move(source);
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "credentials from ", c.source, " lack AccessKeyId or SecretAccessKey"));
  }
  if (const std::string expiration = get("Expiration"); !expiration.empty()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, expiration, &c.expiration, &error)) {
      return absl::UnavailableError(absl::StrCat("credentials from ", c.source,
                                                 " have a bad Expiration: ", error));
    }
  }
  return c;
}

absl::StatusOr<Credentials> CredentialsFromEnvironment(const SourceConfig& config) {
  std::string id = Env(config, "AWS_ACCESS_KEY_ID");
  if (id.empty()) id = Env(config, "AWS_ACCESS_KEY");  // the SDKs' legacy name
  std::string secret = Env(config, "AWS_SECRET_ACCESS_KEY");
  if (secret.empty()) secret = Env(config, "AWS_SECRET_KEY");
  if (id.empty() && secret.empty()) {
    return absl::NotFoundError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  }
  if (id.empty() || secret.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        id.empty() ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                    : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
        "; set both or neither"));
  }
  Credentials c;
  c.access_key_id = std::move(id);
  c.secret_access_key = std::move(secret);
  c.session_token = Env(config, "AWS_SESSION_TOKEN");
  c.source = "environment";
  return c;
}

std::string RegionFromEnvironment(const SourceConfig& config) {
  for (std::string_view name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string region = Env(config, name);
    if (!region.empty()) return region;
  }
  std::string profile = config.profile;
  if (profile.empty()) profile = Env(config, "AWS_PROFILE");
  if (profile.empty()) profile = Env(config, "AWS_DEFAULT_PROFILE");
  if (profile.empty()) profile = "default";
  std::string config_path = Env(config, "AWS_CONFIG_FILE");
  if (config_path.empty()) config_path = "~/.aws/config";
  const IniSections config_file =
      ParseIni(ReadWholeFile(ExpandHome(config, config_path)).value_or(""));
  bool found = false;
  std::map<std::string, std::string> settings =
      MergeProfile(IniSections{}, config_file, profile, &found);
  auto it = settings.find("region");
  if (it != settings.end() && !it->second.empty()) return it->second;
  return "us-east-1";
}

absl::StatusOr<Credentials> CredentialsFromSharedFiles(const SourceConfig& config) {
  std::string profile = config.profile;
  bool explicit_profile = !profile.empty();
  if (profile.empty()) profile = Env(config, "AWS_PROFILE");
  if (profile.empty()) profile = Env(config, "AWS_DEFAULT_PROFILE");
  explicit_profile = explicit_profile || !profile.empty();
  if (profile.empty()) profile = "default";
  std::string credentials_path = Env(config, "AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_path.empty()) credentials_path = "~/.aws/credentials";
  std::string config_path = Env(config, "AWS_CONFIG_FILE");
  if (config_path.empty()) config_path = "~/.aws/config";
  credentials_path = ExpandHome(config, credentials_path);
  config_path = ExpandHome(config, config_path);

  const IniSections credentials_file = ParseIni(ReadWholeFile(credentials_path).value_or(""));
  const IniSections config_file = ParseIni(ReadWholeFile(config_path).value_or(""));
  bool found = false;
  std::map<std::string, std::string> settings =
      MergeProfile(credentials_file, config_file, profile, &found);
  const std::string where =
      absl::StrCat("profile \"", profile, "\" in ", credentials_path, " / ", config_path);
  if (!found) {
    if (explicit_profile) {
      return absl::FailedPreconditionError(
          absl::StrCat("no ", where, "; create it or change AWS_PROFILE"));
    }
    return absl::NotFoundError(absl::StrCat("no ", where));
  }
  Credentials c;
  c.access_key_id = settings["aws_access_key_id"];
  c.secret_access_key = settings["aws_secret_access_key"];
  c.session_token = settings["aws_session_token"];
  c.source = absl::StrCat("profile ", profile);
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    if (explicit_profile) {
      return absl::FailedPreconditionError(absl::StrCat(
          where,
          " has no aws_access_key_id/aws_secret_access_key (SSO, credential_process and "
          "role_arn profiles are not supported yet)"));
    }
    return absl::NotFoundError(absl::StrCat(where, " has no static keys"));
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, " needs both aws_access_key_id and aws_secret_access_key"));
  }
  return c;
}

Awaitable<absl::StatusOr<Credentials>> CredentialsFromContainer(SourceConfig config) {
  const std::string relative = Env(config, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const std::string full = Env(config, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  std::string url;
  if (!relative.empty()) {
    url = absl::StrCat("http://", config.container_host,
                       absl::StartsWith(relative, "/") ? "" : "/", relative);
  } else if (!full.empty()) {
    absl::StatusOr<ParsedHttpUrl> parsed = ParseHttpUrl(full);
    if (!parsed.ok()) {
      co_return absl::FailedPreconditionError(absl::StrCat(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI: ", parsed.status().message(),
          " (https endpoints are not supported yet)"));
    }
    if (!IsAllowedContainerHost(parsed->host)) {
      co_return absl::FailedPreconditionError(absl::StrCat(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI host ", parsed->host,
          " is not loopback, 169.254.170.2 or 169.254.170.23; plain http elsewhere "
          "would expose credentials"));
    }
    url = full;
  } else {
    co_return absl::NotFoundError(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
  }
  std::vector<HttpHeader> headers;
  std::string token;
  if (const std::string token_file = Env(config, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
      !token_file.empty()) {
    std::optional<std::string> contents = ReadWholeFile(token_file);
    if (!contents) {
      co_return absl::FailedPreconditionError(absl::StrCat(
          "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ", token_file));
    }
    token = std::string(absl::StripAsciiWhitespace(*contents));
  } else {
    token = Env(config, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (!token.empty()) headers.push_back({"Authorization", token});
  headers.push_back({"Accept", "application/json"});
  const absl::Time deadline = config.clock->Now() + config.endpoint_timeout;
  absl::StatusOr<HttpResponse> response =
      co_await MetadataRequest(*config.clock, "GET", url, std::move(headers), deadline);
  if (!response.ok()) {
    co_return Annotate(absl::UnavailableError(response.status().message()),
                       "container credentials endpoint");
  }
  absl::Status status = EndpointStatus(*response, "the container credentials endpoint");
  if (!status.ok()) {
    // Configured but refusing: stop the chain rather than fall through.
    if (absl::IsNotFound(status)) status = absl::UnavailableError(status.message());
    co_return status;
  }
  co_return ParseCredentialsDocument(response->body, "container");
}

Awaitable<absl::StatusOr<Credentials>> CredentialsFromInstanceMetadata(SourceConfig config) {
  if (absl::EqualsIgnoreCase(Env(config, "AWS_EC2_METADATA_DISABLED"), "true")) {
    co_return absl::NotFoundError("AWS_EC2_METADATA_DISABLED=true");
  }
  std::string endpoint = Env(config, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (endpoint.empty()) endpoint = "http://169.254.169.254";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const absl::Time deadline = config.clock->Now() + config.endpoint_timeout;
  Clock& clock = *config.clock;

  // IMDSv2: a session token first. An endpoint that does not know the token
  // API (IMDSv1 only) answers 403/404/405; then the SDKs go on without one.
  std::vector<HttpHeader> token_headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  absl::StatusOr<HttpResponse> token_response = co_await MetadataRequest(
      clock, "PUT", endpoint + "/latest/api/token", std::move(token_headers), deadline);
  if (!token_response.ok()) {
    // Nothing listening: not on EC2. The last source, so the message matters.
    co_return absl::NotFoundError(absl::StrCat("no instance metadata service at ", endpoint,
                                               ": ", token_response.status().message()));
  }
  std::vector<HttpHeader> headers;
  if (token_response->status == 200) {
    headers.push_back({"X-aws-ec2-metadata-token", token_response->body});
  } else if (token_response->status != 403 && token_response->status != 404 &&
             token_response->status != 405) {
    co_return EndpointStatus(*token_response, "the instance metadata token API");
  }
  const std::string roles_url = endpoint + "/latest/meta-data/iam/security-credentials/";
  absl::StatusOr<HttpResponse> roles =
      co_await MetadataRequest(clock, "GET", roles_url, headers, deadline);
  if (!roles.ok()) co_return Annotate(roles.status(), "instance metadata");
  if (roles->status == 404) {
    co_return absl::FailedPreconditionError(
        "instance metadata: no IAM role is attached to this instance");
  }
  COHORT_CO_RETURN_IF_ERROR(EndpointStatus(*roles, "instance metadata"));
  std::string role(absl::StripAsciiWhitespace(roles->body.substr(0, roles->body.find('\n'))));
  if (role.empty()) {
    co_return absl::FailedPreconditionError("instance metadata lists no IAM role");
  }
  absl::StatusOr<HttpResponse> document =
      co_await MetadataRequest(clock, "GET", roles_url + role, headers, deadline);
  if (!document.ok()) co_return Annotate(document.status(), "instance metadata");
  COHORT_CO_RETURN_IF_ERROR(EndpointStatus(*document, "instance metadata"));
  co_return ParseCredentialsDocument(document->body, absl::StrCat("imds role ", role));
}

}  // namespace cohort::blob::s3
