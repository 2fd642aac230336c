// The AWS shared credentials and config files (~/.aws/credentials,
// ~/.aws/config): INI sections of `key = value` lines.
//
// Thread-safety: pure functions.
#ifndef COHORT_SRC_BLOB_S3_SHARED_CONFIG_H_
#define COHORT_SRC_BLOB_S3_SHARED_CONFIG_H_

#include <map>
#include <string>
#include <string_view>

namespace cohort::blob::s3 {

// Section name -> key -> value. Keys are lower-cased; values trimmed.
// Comment lines start with '#' or ';'; lines indented under a key (nested
// settings such as "s3 =\n  addressing_style = path") are attached to no key
// and skipped. Malformed lines are skipped, as the AWS SDKs do.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

IniSections ParseIni(std::string_view text);

// The settings of `profile`: the config file's "[profile name]" section (or
// "[default]" for the default profile), overridden key by key by the
// credentials file's "[name]" section, the precedence of the AWS SDKs.
// `found` tells whether either file has the profile.
std::map<std::string, std::string> MergeProfile(const IniSections& credentials_file,
                                                const IniSections& config_file,
                                                std::string_view profile, bool* found);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_SHARED_CONFIG_H_
