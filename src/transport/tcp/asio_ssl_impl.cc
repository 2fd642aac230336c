// The single translation unit that compiles asio's TLS implementation (the
// core of asio is compiled once in src/base/asio_impl.cc).
#include <asio/ssl/impl/src.hpp>  // IWYU pragma: keep
