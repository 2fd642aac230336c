// gMock matchers for absl::Status and absl::StatusOr<T>.
//
//   EXPECT_THAT(Call(), cohort::testing::IsOk());
//   EXPECT_THAT(Lookup(k), cohort::testing::IsOkAndHolds("v"));
//   EXPECT_THAT(Open(""), cohort::testing::StatusIs(
//       absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
//
// Part of the `testing` component: find_package(cohort COMPONENTS testing)
// and link cohort::testing.
#ifndef COHORT_TESTING_STATUS_MATCHERS_H_
#define COHORT_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace cohort::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

template <typename StatusOrType>
class IsOkAndHoldsImpl : public ::testing::MatcherInterface<StatusOrType> {
 public:
  using Value = typename std::remove_reference_t<StatusOrType>::value_type;

  template <typename InnerMatcher>
  explicit IsOkAndHoldsImpl(InnerMatcher&& inner)
      : inner_(::testing::SafeMatcherCast<const Value&>(
            std::forward<InnerMatcher>(inner))) {}

  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and has a value that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "isn't OK or has a value that ";
    inner_.DescribeNegationTo(os);
  }
  bool MatchAndExplain(StatusOrType actual,
                       ::testing::MatchResultListener* listener) const override {
    if (!actual.ok()) {
      *listener << "which has status " << actual.status();
      return false;
    }
    ::testing::StringMatchResultListener inner_listener;
    const bool matches = inner_.MatchAndExplain(*actual, &inner_listener);
    const std::string explanation = inner_listener.str();
    if (!explanation.empty()) *listener << "which contains a value " << explanation;
    return matches;
  }

 private:
  ::testing::Matcher<const Value&> inner_;
};

template <typename InnerMatcher>
class IsOkAndHoldsGeneric {
 public:
  explicit IsOkAndHoldsGeneric(InnerMatcher inner) : inner_(std::move(inner)) {}
  template <typename StatusOrType>
  operator ::testing::Matcher<StatusOrType>() const {  // NOLINT
    return ::testing::Matcher<StatusOrType>(
        new IsOkAndHoldsImpl<const StatusOrType&>(inner_));
  }

 private:
  InnerMatcher inner_;
};

class StatusIsImpl {
 public:
  StatusIsImpl(::testing::Matcher<absl::StatusCode> code,
               ::testing::Matcher<const std::string&> message)
      : code_(std::move(code)), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    *listener << "whose status is " << status;
    return code_.Matches(status.code()) &&
           message_.Matches(std::string(status.message()));
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has a status code that ";
    code_.DescribeTo(os);
    *os << ", and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "has a status code that ";
    code_.DescribeNegationTo(os);
    *os << ", or a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  ::testing::Matcher<absl::StatusCode> code_;
  ::testing::Matcher<const std::string&> message_;
};

class IsOkImpl {
 public:
  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    if (!status.ok()) *listener << "whose status is " << status;
    return status.ok();
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

}  // namespace internal

// Matches an OK absl::Status or absl::StatusOr<T>.
inline ::testing::PolymorphicMatcher<internal::IsOkImpl> IsOk() {
  return ::testing::MakePolymorphicMatcher(internal::IsOkImpl());
}

// Matches an OK absl::StatusOr<T> whose value matches `inner`.
template <typename InnerMatcher>
internal::IsOkAndHoldsGeneric<std::decay_t<InnerMatcher>> IsOkAndHolds(
    InnerMatcher&& inner) {
  return internal::IsOkAndHoldsGeneric<std::decay_t<InnerMatcher>>(
      std::forward<InnerMatcher>(inner));
}

// Matches a Status or StatusOr whose code matches `code` and whose message
// matches `message` (anything, by default).
template <typename CodeMatcher, typename MessageMatcher>
::testing::PolymorphicMatcher<internal::StatusIsImpl> StatusIs(
    CodeMatcher&& code, MessageMatcher&& message) {
  return ::testing::MakePolymorphicMatcher(internal::StatusIsImpl(
      ::testing::MatcherCast<absl::StatusCode>(std::forward<CodeMatcher>(code)),
      ::testing::MatcherCast<const std::string&>(
          std::forward<MessageMatcher>(message))));
}
template <typename CodeMatcher>
::testing::PolymorphicMatcher<internal::StatusIsImpl> StatusIs(CodeMatcher&& code) {
  return StatusIs(std::forward<CodeMatcher>(code), ::testing::_);
}

}  // namespace cohort::testing

#endif  // COHORT_TESTING_STATUS_MATCHERS_H_
