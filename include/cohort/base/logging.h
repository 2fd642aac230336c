// Logging seam. cohort logs through an spdlog logger that the user hands in,
// and never through spdlog's default (global) logger. Without one, cohort is
// silent.
//
// spdlog is kept out of this header: users who only pass loggers through need
// not include it; users who build loggers include <spdlog/spdlog.h> themselves.
#ifndef COHORT_BASE_LOGGING_H_
#define COHORT_BASE_LOGGING_H_

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace cohort {

using LoggerPtr = std::shared_ptr<spdlog::logger>;

// A logger with no sinks: everything logged to it is dropped cheaply (its
// level is "off", so arguments are not even formatted).
LoggerPtr NewNullLogger(std::string name = "cohort");

// A logger that writes to standard error, for examples and tools. `level` is
// an spdlog level name ("trace", "debug", "info", "warn", "error",
// "critical", "off"); unknown names mean "info".
LoggerPtr NewStderrLogger(std::string name, std::string_view level = "info");

}  // namespace cohort

#endif  // COHORT_BASE_LOGGING_H_
