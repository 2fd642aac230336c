# The dependency card: abseil, standalone asio, spdlog (+fmt) and threads for
# the core. Test and benchmark dependencies are looked up where they are used.
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
# absl is found without a version: its version file demands an exact match.
find_package(absl CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(Asio MODULE REQUIRED)
# TLS for the transport, HMAC/SHA-256 for request signing, HTTP for the
# object-store backends.
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
