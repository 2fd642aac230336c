// The single translation unit that compiles asio's implementation. Every other
// file sees asio with ASIO_SEPARATE_COMPILATION and only declarations, which is
// what keeps incremental builds fast.
#include <asio/impl/src.hpp>  // IWYU pragma: keep
