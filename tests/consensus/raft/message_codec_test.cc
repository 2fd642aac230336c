#include "consensus/raft/message_codec.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cohort/testing/status_matchers.h"
#include "consensus/node/node_wire.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::consensus::raft {
namespace {

using ::cohort::testing::IsOkAndHolds;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

Message FullMessage() {
  Message m{.type = MessageType::kSnapshot,
            .from = 3,
            .to = 1ull << 40,
            .term = 7,
            .log_term = 6,
            .index = 123456789,
            .commit = 99,
            .reject = true,
            .reject_hint = 42,
            .context = "ctx",
            .lease_read = true};
  m.entries.push_back({.term = 7, .index = 100, .type = EntryType::kNormal, .data = "hello"});
  m.entries.push_back({.term = 7, .index = 101, .type = EntryType::kConfChange, .data = ""});
  m.snapshot = SnapshotMetadata{.index = 90,
                                .term = 5,
                                .conf_state = {.voters = {1, 2, 3},
                                               .learners = {4},
                                               .voters_outgoing = {1, 2},
                                               .learners_next = {5},
                                               .auto_leave = true}};
  m.snapshot_data = std::string(1000, 'x');
  return m;
}

TEST(MessageCodecTest, RoundTripsEveryField) {
  const Message m = FullMessage();
  std::string bytes;
  EncodeMessage(m, &bytes);
  EXPECT_THAT(DecodeMessage(bytes), IsOkAndHolds(m));
}

TEST(MessageCodecTest, RoundTripsEveryType) {
  for (int t = 1; t <= static_cast<int>(kMaxMessageType); ++t) {
    Message m{.type = static_cast<MessageType>(t), .from = 1, .to = 2, .term = 3};
    std::string bytes;
    EncodeMessage(m, &bytes);
    EXPECT_THAT(DecodeMessage(bytes), IsOkAndHolds(m)) << MessageTypeName(m.type);
  }
}

TEST(MessageCodecTest, EveryTruncationIsDataLoss) {
  std::string bytes;
  EncodeMessage(FullMessage(), &bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeMessage(bytes.substr(0, n)), StatusIs(absl::StatusCode::kDataLoss))
        << "prefix of " << n << " bytes";
  }
}

TEST(MessageCodecTest, RejectsTrailingBytes) {
  std::string bytes;
  EncodeMessage(FullMessage(), &bytes);
  bytes.push_back('\0');
  EXPECT_THAT(DecodeMessage(bytes), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MessageCodecTest, RejectsUnknownVersionTypeAndFlags) {
  std::string bytes;
  EncodeMessage(Message{.from = 1, .to = 2}, &bytes);
  std::string bad = bytes;
  bad[0] = 2;
  EXPECT_THAT(DecodeMessage(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version")));
  bad = bytes;
  bad[1] = 13;
  EXPECT_THAT(DecodeMessage(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("type")));
  bad = bytes;
  bad[1] = 0;
  EXPECT_THAT(DecodeMessage(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("type")));
  bad = bytes;
  bad[8] = 8;  // flags: bits 0-2 are defined
  EXPECT_THAT(DecodeMessage(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("flags")));
}

TEST(MessageCodecTest, HugeEntryCountIsRefusedBeforeAllocation) {
  std::string bytes;
  EncodeMessage(Message{.from = 1, .to = 2}, &bytes);
  // Replace the entry count (0) and the empty context with a count of 2^62.
  bytes.resize(bytes.size() - 2);
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(0xff));
  bytes.push_back(0x3f);
  EXPECT_THAT(DecodeMessage(bytes),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry count")));
}

TEST(MessageCodecTest, HugeDataLengthIsDataLoss) {
  Message m{.from = 1, .to = 2};
  m.entries.push_back({.term = 1, .index = 1, .data = "abc"});
  std::string bytes;
  EncodeMessage(m, &bytes);
  // The data length byte sits right before "abc".
  const auto pos = bytes.find("abc");
  ASSERT_NE(pos, std::string::npos);
  bytes[pos - 1] = 100;
  EXPECT_THAT(DecodeMessage(bytes), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MessageCodecTest, ConfChangeRoundTrip) {
  ConfChange c{.transition = ConfTransition::kJointExplicit,
               .changes = {{ConfChangeType::kAddVoter, 4},
                           {ConfChangeType::kRemoveNode, 1},
                           {ConfChangeType::kAddLearner, 9}}};
  std::string bytes;
  EncodeConfChange(c, &bytes);
  EXPECT_THAT(DecodeConfChange(bytes), IsOkAndHolds(c));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeConfChange(bytes.substr(0, n)), StatusIs(absl::StatusCode::kDataLoss));
  }
  std::string bad = bytes;
  bad[0] = 3;
  EXPECT_THAT(DecodeConfChange(bad), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MessageCodecTest, ConfChangeCarriesAddressesAndReadsTheOldForm) {
  ConfChange c{.changes = {{ConfChangeType::kAddLearner, 4, "127.0.0.1:7004"},
                           {ConfChangeType::kRemoveNode, 2, ""}}};
  std::string bytes;
  EncodeConfChange(c, &bytes);
  EXPECT_THAT(DecodeConfChange(bytes), IsOkAndHolds(c));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto truncated = DecodeConfChange(bytes.substr(0, n));
    EXPECT_FALSE(truncated.ok() && *truncated == c) << n;
  }
  // Without addresses the encoding is the one written before they existed.
  ConfChange bare{.changes = {{ConfChangeType::kAddLearner, 4}}};
  std::string old_form;
  EncodeConfChange(bare, &old_form);
  EXPECT_EQ(old_form, std::string("\x00\x01\x01\x04", 4));
  EXPECT_THAT(DecodeConfChange(old_form), IsOkAndHolds(bare));
}

TEST(MessageCodecTest, ConfStateRoundTrip) {
  ConfState c{.voters = {1, 2}, .learners = {3}, .voters_outgoing = {1}, .auto_leave = true};
  std::string bytes;
  EncodeConfState(c, &bytes);
  EXPECT_THAT(DecodeConfState(bytes), IsOkAndHolds(c));
  bytes.back() = 2;  // auto_leave must be 0 or 1
  EXPECT_THAT(DecodeConfState(bytes), StatusIs(absl::StatusCode::kDataLoss));
}

// The fuzz corpus must start from inputs that decode, or mutations rarely
// get past the first field.
TEST(MessageCodecTest, EverySeedCorpusFileDecodes) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(RAFT_CORPUS_DIR)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string name = entry.path().filename().string();
    ++files;
    if (name.rfind("conf_change", 0) == 0) {
      EXPECT_TRUE(DecodeConfChange(bytes).ok()) << name;
    } else if (name == "conf_state") {
      EXPECT_TRUE(DecodeConfState(bytes).ok()) << name;
    } else if (name.rfind("envelope_", 0) == 0) {
      // A message inside the envelope nodes send it in (node_wire.h).
      EXPECT_TRUE(node::DecodeEnvelope(bytes).ok())
          << name << ": " << node::DecodeEnvelope(bytes).status();
    } else if (name == "node_snapshot") {
      // The header of a node's snapshot, with the members' addresses.
      auto snapshot = node::DecodeNodeSnapshot(bytes);
      EXPECT_TRUE(snapshot.ok() && !snapshot->addresses.empty()) << name;
    } else {
      EXPECT_TRUE(DecodeMessage(bytes).ok()) << name << ": " << DecodeMessage(bytes).status();
    }
  }
  EXPECT_GE(files, 8);
}

}  // namespace
}  // namespace cohort::consensus::raft
