// A throwaway certificate authority for TLS tests: keys and certificates are
// made with OpenSSL when the test runs, never checked in.
#ifndef COHORT_TESTS_TRANSPORT_TEST_PKI_H_
#define COHORT_TESTS_TRANSPORT_TEST_PKI_H_

#include <memory>
#include <string>
#include <vector>

namespace cohort::testing {

struct PemPair {
  std::string certificate;
  std::string private_key;
};

class TestCa {
 public:
  // A self-signed CA named `common_name` with a fresh P-256 key.
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& certificate_pem() const { return certificate_pem_; }

  // A leaf certificate for `common_name`, valid for both TLS server and
  // client authentication, with subject alternative names such as
  // "IP:127.0.0.1" or "DNS:localhost".
  PemPair Issue(const std::string& common_name, const std::vector<std::string>& alt_names) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string certificate_pem_;
};

// A directory removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name atomically and returns the full path.
  std::string Write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

}  // namespace cohort::testing

#endif  // COHORT_TESTS_TRANSPORT_TEST_PKI_H_
