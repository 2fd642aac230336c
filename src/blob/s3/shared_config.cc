#include "blob/s3/shared_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cohort::blob::s3 {
namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Trim(std::string_view s) { return std::string(absl::StripAsciiWhitespace(AV(s))); }

}  // namespace

IniSections ParseIni(std::string_view text) {
  IniSections sections;
  std::map<std::string, std::string>* current = nullptr;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const bool indented = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    const std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#' || trimmed.front() == ';') continue;
    if (trimmed.front() == '[') {
      const std::size_t close = trimmed.find(']');
      if (close == std::string::npos) {
        current = nullptr;
        continue;
      }
      // "[ profile  dev ]" -> "profile dev"
      std::string name = Trim(std::string_view(trimmed).substr(1, close - 1));
      std::string collapsed;
      for (char c : name) {
        if ((c == ' ' || c == '\t') && !collapsed.empty() && collapsed.back() == ' ') continue;
        collapsed.push_back(c == '\t' ? ' ' : c);
      }
      current = &sections[collapsed];
      continue;
    }
    if (indented || current == nullptr) continue;
    const std::size_t eq = trimmed.find('=');
    if (eq == std::string::npos) continue;
    std::string key = absl::AsciiStrToLower(Trim(std::string_view(trimmed).substr(0, eq)));
    std::string value = Trim(std::string_view(trimmed).substr(eq + 1));
    if (key.empty()) continue;
    (*current)[std::move(key)] = std::move(value);
  }
  return sections;
}

std::map<std::string, std::string> MergeProfile(const IniSections& credentials_file,
                                                const IniSections& config_file,
                                                std::string_view profile, bool* found) {
  std::map<std::string, std::string> merged;
  *found = false;
  auto take = [&](const IniSections& sections, const std::string& name) {
    auto it = sections.find(name);
    if (it == sections.end()) return;
    *found = true;
    for (const auto& [k, v] : it->second) merged[k] = v;
  };
  const std::string name(profile);
  if (name == "default") take(config_file, "default");
  take(config_file, absl::StrCat("profile ", AV(name)));
  take(credentials_file, name);
  return merged;
}

}  // namespace cohort::blob::s3
