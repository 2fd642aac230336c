// Crash and resume: a child process uploads with a journal and is SIGKILLed
// while the proxy holds one of its parts; the upload then resumes in this
// process without re-sending the parts the journal recorded, and the object
// is byte-identical. Also: a journal of a changed file starts over.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blob/transfer_journal.h"
#include "cohort/blob/transfer.h"
#include "fault_proxy.h"
#include "multipart_fixture.h"

namespace cohort::blob::s3::testing {
namespace {

using ::cohort::testing::IsOk;

class ResumeTest : public MultipartFixture {
 protected:
  // Starts upload_child through `proxy`; returns its pid.
  pid_t StartChild(const FaultProxy& proxy, const std::string& key, const std::string& file,
                   const std::string& journal) {
    const std::string part = absl::StrCat(5 * kMiB);
    const std::string url = proxy.url();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execl(COHORT_UPLOAD_CHILD, COHORT_UPLOAD_CHILD, url.c_str(), "bucket", key.c_str(),
              file.c_str(), journal.c_str(), part.c_str(), "1", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }
};

TEST_F(ResumeTest, KilledUploadResumesWithoutResendingJournaledParts) {
  FaultProxy proxy(Endpoint());
  proxy.HoldPart(3);  // the child is killed while part 3 is on the wire
  const std::string data = RandomBytes(18 * kMiB + 3, 21);  // 4 parts
  const std::string file = WriteFile("big", data);
  const std::string journal = (dir_ / "big.journal").string();
  const pid_t child = StartChild(proxy, K("big"), file, journal);
  ASSERT_GT(child, 0);
  // With concurrency 1, part 3 is sent only after part 2 was acknowledged
  // and journaled: the kill lands after exactly two recorded parts.
  ASSERT_TRUE(proxy.WaitForHeld());
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFSIGNALED(wstatus));
  proxy.ReleaseHeld();  // the held request is reset
  proxy.HoldPart(0);

  absl::StatusOr<std::optional<internal::Journal>> recorded = internal::ReadJournal(journal);
  ASSERT_THAT(recorded, IsOk());
  ASSERT_TRUE(recorded->has_value());
  EXPECT_EQ((*recorded)->parts.size(), 2u);
  EXPECT_EQ((*recorded)->header.size, data.size());
  EXPECT_EQ(proxy.RequestsWith("POST", "uploads"), 1);
  // Nothing is visible under the key.
  auto direct = Open();
  EXPECT_THAT(Run(direct->Stat(K("big"))), cohort::testing::StatusIs(absl::StatusCode::kNotFound));

  auto storage = Open(proxy.url());
  TransferOptions options;
  options.part_size = 5 * kMiB;
  options.concurrency = 2;
  options.journal_path = journal;
  std::vector<std::uint64_t> progress;
  options.progress = [&](std::uint64_t done, std::uint64_t) { progress.push_back(done); };
  ASSERT_THAT(Run(UploadFile(*storage, file, K("big"), options)), IsOk());
  EXPECT_EQ(proxy.PartAttempts(1), 1);  // the child's only
  EXPECT_EQ(proxy.PartAttempts(2), 1);
  EXPECT_EQ(proxy.PartAttempts(3), 2);  // the child's (reset) and ours
  EXPECT_EQ(proxy.PartAttempts(4), 1);
  EXPECT_EQ(proxy.RequestsWith("POST", "uploads"), 1);  // the same upload
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.front(), 10 * kMiB);  // resumed at two parts done
  EXPECT_EQ(progress.back(), data.size());
  EXPECT_FALSE(std::filesystem::exists(journal));
  EXPECT_TRUE(Run(direct->Get(K("big"), {})).value() == data);
}

TEST_F(ResumeTest, JournalOfAChangedFileStartsOver) {
  FaultProxy proxy(Endpoint());
  proxy.ResetPart(2, 1000);
  auto storage = Open(proxy.url());
  const std::string file = WriteFile("changing", RandomBytes(11 * kMiB, 22));
  const std::string journal = (dir_ / "changing.journal").string();
  TransferOptions options;
  options.part_size = 5 * kMiB;
  options.concurrency = 1;
  options.journal_path = journal;
  options.keep_parts_on_failure = true;
  EXPECT_FALSE(Run(UploadFile(*storage, file, K("changing"), options)).ok());
  ASSERT_TRUE(std::filesystem::exists(journal));  // kept for a resume
  EXPECT_EQ(proxy.PartAttempts(1), 1);

  // The file changes (size): the old upload is aborted, a new one sent whole.
  proxy.ResetPart(2, 0);
  const std::string data = RandomBytes(12 * kMiB, 23);
  WriteFile("changing", data);
  ASSERT_THAT(Run(UploadFile(*storage, file, K("changing"), options)), IsOk());
  EXPECT_EQ(proxy.RequestsWith("POST", "uploads"), 2);
  EXPECT_EQ(proxy.RequestsWith("DELETE", "uploadId"), 1);
  EXPECT_EQ(proxy.PartAttempts(1), 2);
  EXPECT_FALSE(std::filesystem::exists(journal));
  EXPECT_TRUE(Run(storage->Get(K("changing"), {})).value() == data);
}

}  // namespace
}  // namespace cohort::blob::s3::testing
