#include "cohort/base/logging.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace cohort {

LoggerPtr NewNullLogger(std::string name) {
  auto logger = std::make_shared<spdlog::logger>(std::move(name));
  logger->set_level(spdlog::level::off);
  return logger;
}

LoggerPtr NewStderrLogger(std::string name, std::string_view level) {
  auto logger = std::make_shared<spdlog::logger>(
      std::move(name), std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; the contract says "info".
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  logger->set_level(parsed);
  return logger;
}

}  // namespace cohort
