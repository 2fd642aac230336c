// Interop with the official AWS SDK for JavaScript: the SDK reads back, byte
// for byte, objects cohort wrote (one PutObject, a multipart Put, a streamed
// writer, an UploadFile), and cohort reads back (Get and DownloadFile)
// objects the SDK wrote with PutObject and lib-storage's multipart Upload.
// node comes from PATH; the script from tools/node in the source tree.
#include <cstdlib>

#include "cohort/blob/transfer.h"
#include "multipart_fixture.h"

namespace cohort::blob::s3::testing {
namespace {

using ::cohort::testing::IsOk;

class InteropTest : public MultipartFixture {
 protected:
  // Runs tools/node/interop.mjs; its exit code.
  int Node(const std::string& mode, const std::string& key, const std::string& file,
           const std::string& part_size = "") {
    const std::string command =
        absl::StrCat("node '", COHORT_NODE_TOOLS_DIR, "/interop.mjs' ", mode, " '", Endpoint(),
                     "' bucket '", key, "' '", file, "' ", part_size);
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

TEST_F(InteropTest, SdkReadsWhatCohortWrote) {
  auto storage = Open();
  const std::string small = RandomBytes(100 * 1024 + 3, 41);
  const std::string large = RandomBytes(12 * kMiB + 9, 42);
  ASSERT_THAT(Run(storage->Put(K("single"), small, {})), IsOk());
  ASSERT_THAT(Run(storage->Put(K("multi"), large, {})), IsOk());
  std::unique_ptr<BlobWriter> writer = Run(storage->OpenWriter(K("stream"), {})).value();
  ASSERT_THAT(Run(writer->Write({reinterpret_cast<const std::byte*>(large.data()), large.size()})),
              IsOk());
  ASSERT_THAT(Run(writer->Commit()), IsOk());
  const std::string small_file = WriteFile("small", small);
  const std::string large_file = WriteFile("large", large);
  TransferOptions options;
  options.part_size = 5 * kMiB;
  ASSERT_THAT(Run(UploadFile(*storage, large_file, K("file"), options)), IsOk());

  EXPECT_EQ(Node("read", K("single"), small_file), 0);
  EXPECT_EQ(Node("read", K("multi"), large_file), 0);
  EXPECT_EQ(Node("read", K("stream"), large_file), 0);
  EXPECT_EQ(Node("read", K("file"), large_file), 0);
  // And the check can fail: a different file does not match.
  EXPECT_EQ(Node("read", K("single"), large_file), 1);
}

TEST_F(InteropTest, CohortReadsWhatSdkWrote) {
  auto storage = Open();
  const std::string small = RandomBytes(70 * 1024 + 1, 43);
  const std::string large = RandomBytes(13 * kMiB + 5, 44);
  ASSERT_EQ(Node("write", K("sdk-single"), WriteFile("small", small)), 0);
  ASSERT_EQ(Node("write", K("sdk-multi"), WriteFile("large", large), "5242880"), 0);
  EXPECT_TRUE(Run(storage->Get(K("sdk-single"), {})).value() == small);
  EXPECT_TRUE(Run(storage->Get(K("sdk-multi"), {})).value() == large);
  TransferOptions options;
  options.part_size = 4 * kMiB;
  const std::string out = (dir_ / "downloaded").string();
  ASSERT_THAT(Run(DownloadFile(*storage, K("sdk-multi"), out, options)), IsOk());
  EXPECT_TRUE(ReadFile(out) == large);
}

}  // namespace
}  // namespace cohort::blob::s3::testing
