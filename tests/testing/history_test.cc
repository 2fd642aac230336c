// The JSON-lines history format: parsing, validation, limits, writing.
#include "cohort/testing/history.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "cohort/testing/status_matchers.h"

namespace cohort::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(LincheckHistoryTest, ParsesEveryFieldInAnyOrder) {
  auto op = ParseOperation(
      R"( { "output" : "true", "ok": true, "return_ns": 20, "call_ns": -5,)"
      R"( "value": "new", "expected": "old", "key": "k", "op": "cas", "client": 7 } )");
  ASSERT_THAT(op, IsOk());
  EXPECT_EQ(op->client, 7);
  EXPECT_EQ(op->kind, OpKind::kCas);
  EXPECT_EQ(op->key, "k");
  EXPECT_EQ(op->expected, "old");
  EXPECT_EQ(op->value, "new");
  EXPECT_EQ(op->call_ns, -5);
  EXPECT_EQ(op->return_ns, 20);
  EXPECT_TRUE(op->ok);
  EXPECT_EQ(op->output, "true");
  EXPECT_FALSE(op->found.has_value());
}

TEST(LincheckHistoryTest, DecodesEscapesIncludingSurrogatePairs) {
  auto op = ParseOperation(
      R"({"client": 1, "op": "put", "key": "a\"b\\c\/d\b\f\n\r\t", )"
      R"("value": "\u00e9\u20AC\ud83d\ude00\u0000", "call_ns": 0, "return_ns": 0, "ok": true})");
  ASSERT_THAT(op, IsOk());
  EXPECT_EQ(op->key, "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(op->value, std::string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0", 10));
}

TEST(LincheckHistoryTest, RejectsBadStrings) {
  const std::string head = R"({"client": 1, "op": "put", "key": )";
  EXPECT_THAT(ParseOperation(head + R"("\ud83d"})"),
              StatusIs(kInvalid, HasSubstr("high surrogate not followed")));
  EXPECT_THAT(ParseOperation(head + R"("\ude00"})"),
              StatusIs(kInvalid, HasSubstr("lone low surrogate")));
  EXPECT_THAT(ParseOperation(head + R"("\u12g4"})"),
              StatusIs(kInvalid, HasSubstr("4 hex digits")));
  EXPECT_THAT(ParseOperation(head + R"("\x"})"), StatusIs(kInvalid, HasSubstr("invalid escape")));
  EXPECT_THAT(ParseOperation(head + "\"a\tb\"}"),
              StatusIs(kInvalid, HasSubstr("control character")));
  EXPECT_THAT(ParseOperation(head + R"("abc)"), StatusIs(kInvalid, HasSubstr("unterminated")));
}

TEST(LincheckHistoryTest, RejectsWrongTypesAndShapes) {
  const auto parse = [](const std::string& client) {
    return ParseOperation(R"({"client": )" + client +
                          R"(, "op": "get", "key": "k", "call_ns": 1, "ok": false})");
  };
  EXPECT_THAT(parse("1"), IsOk());
  EXPECT_THAT(parse("-9223372036854775808"), IsOk());
  EXPECT_THAT(parse("9223372036854775808"), StatusIs(kInvalid, HasSubstr("64 bits")));
  EXPECT_THAT(parse("-9223372036854775809"), StatusIs(kInvalid, HasSubstr("64 bits")));
  EXPECT_THAT(parse("1.5"), StatusIs(kInvalid, HasSubstr("fraction or exponent")));
  EXPECT_THAT(parse("1e3"), StatusIs(kInvalid, HasSubstr("fraction or exponent")));
  EXPECT_THAT(parse("01"), StatusIs(kInvalid, HasSubstr("leading zeros")));
  EXPECT_THAT(parse("-"), StatusIs(kInvalid, HasSubstr("expected a digit")));
  EXPECT_THAT(parse("\"1\""), StatusIs(kInvalid, HasSubstr("\"client\" must be an integer, found a string")));
  EXPECT_THAT(parse("null"), StatusIs(kInvalid, HasSubstr("must not be null")));
  EXPECT_THAT(parse("[1]"), StatusIs(kInvalid, HasSubstr("not nested")));
  EXPECT_THAT(parse("true"), StatusIs(kInvalid, HasSubstr("found a boolean")));
  EXPECT_THAT(parse("1 2"), StatusIs(kInvalid, HasSubstr("expected ','")));
  EXPECT_THAT(ParseOperation(R"({"client": 1} x)"), StatusIs(kInvalid, HasSubstr("after the object")));
  EXPECT_THAT(ParseOperation(R"([])"), StatusIs(kInvalid, HasSubstr("expected '{'")));
  EXPECT_THAT(ParseOperation(R"({"client": 1,})"), StatusIs(kInvalid, HasSubstr("field name")));
  EXPECT_THAT(ParseOperation(R"({"client" 1})"), StatusIs(kInvalid, HasSubstr("expected ':'")));
  EXPECT_THAT(ParseOperation(R"({"client": 1)"), StatusIs(kInvalid, HasSubstr("end of line")));
  EXPECT_THAT(ParseOperation(R"({"op": "delete"})"),
              StatusIs(kInvalid, HasSubstr("\"put\", \"get\" or \"cas\"")));
  EXPECT_THAT(ParseOperation(R"({"client": 1, "client": 2})"),
              StatusIs(kInvalid, HasSubstr("duplicate field \"client\"")));
  EXPECT_THAT(ParseOperation(R"({"clients": 1})"),
              StatusIs(kInvalid, HasSubstr("unknown field \"clients\"")));
}

TEST(LincheckHistoryTest, RequiresFieldsByOperationAndOutcome) {
  EXPECT_THAT(ParseOperation(R"({"client": 1, "op": "put", "key": "k", "call_ns": 1, "ok": false})"),
              StatusIs(kInvalid, HasSubstr("missing field \"value\" (required for put)")));
  EXPECT_THAT(ParseOperation(R"({"client": 1, "op": "cas", "key": "k", "value": "v",)"
                             R"( "call_ns": 1, "ok": false})"),
              StatusIs(kInvalid, HasSubstr("missing field \"expected\"")));
  EXPECT_THAT(ParseOperation(R"({"client": 1, "op": "put", "key": "k", "value": "v",)"
                             R"( "expected": "", "call_ns": 1, "ok": false})"),
              StatusIs(kInvalid, HasSubstr("\"expected\" is only allowed for cas")));
  EXPECT_THAT(ParseOperation(R"({"client": 1, "op": "get", "key": "k", "call_ns": 1, "ok": true,)"
                             R"( "output": ""})"),
              StatusIs(kInvalid, HasSubstr("missing field \"return_ns\"")));
  EXPECT_THAT(ParseOperation(R"({"client": 1, "op": "get", "key": "k", "call_ns": 1, "ok": true,)"
                             R"( "return_ns": 2})"),
              StatusIs(kInvalid, HasSubstr("missing field \"output\"")));
  EXPECT_THAT(ParseOperation(R"({"op": "get", "key": "k", "call_ns": 1, "ok": false})"),
              StatusIs(kInvalid, HasSubstr("missing field \"client\"")));
  // A put's output is not needed; an unknown outcome needs neither a return
  // time nor an output.
  EXPECT_THAT(ParseOperation(R"({"client": 1, "op": "put", "key": "k", "value": "v",)"
                             R"( "call_ns": 1, "return_ns": 2, "ok": true})"),
              IsOk());
  EXPECT_THAT(ParseOperation(R"({"client": 1, "op": "cas", "key": "k", "value": "v",)"
                             R"( "expected": "", "call_ns": 1, "ok": false})"),
              IsOk());
}

TEST(LincheckHistoryTest, ValidatesSemantics) {
  Operation op{.client = 1, .kind = OpKind::kGet, .key = "k", .call_ns = 10, .return_ns = 5};
  EXPECT_THAT(ValidateOperation(op), StatusIs(kInvalid, HasSubstr("before call_ns")));
  op.ok = false;  // the return time of an unknown outcome does not matter
  EXPECT_THAT(ValidateOperation(op), IsOk());
  op = Operation{.kind = OpKind::kCas, .return_ns = 1, .output = "yes"};
  EXPECT_THAT(ValidateOperation(op), StatusIs(kInvalid, HasSubstr("\"true\" or \"false\"")));
  op = Operation{.kind = OpKind::kGet, .output = "v", .found = false};
  EXPECT_THAT(ValidateOperation(op), StatusIs(kInvalid, HasSubstr("empty \"output\"")));
  op = Operation{.kind = OpKind::kPut, .found = true};
  EXPECT_THAT(ValidateOperation(op), StatusIs(kInvalid, HasSubstr("only allowed for get")));
}

TEST(LincheckHistoryTest, HistoryErrorsCarryLineNumbers) {
  const std::string good =
      R"({"client": 1, "op": "get", "key": "k", "call_ns": 1, "return_ns": 2, "ok": true, "output": ""})";
  auto history = ParseHistory(good + "\r\n\n   \n" + good + "\n");
  ASSERT_THAT(history, IsOk());
  EXPECT_THAT(*history, SizeIs(2));
  EXPECT_THAT(ParseHistory(good + "\n\n" + R"({"client": 1, "op": 3})"),
              StatusIs(kInvalid, HasSubstr("line 3: column 21: \"op\" must be a string")));
  EXPECT_THAT(ParseHistory(good + "\n{"), StatusIs(kInvalid, HasSubstr("line 2: column 2")));
  EXPECT_THAT(ParseHistory(""), IsOkAndHolds(SizeIs(0)));
}

TEST(LincheckHistoryTest, EnforcesLimits) {
  const std::string line =
      R"({"client": 1, "op": "get", "key": "k", "call_ns": 1, "ok": false})";
  EXPECT_THAT(ParseHistory(line + "\n" + line, {.max_line_bytes = line.size()}), IsOk());
  EXPECT_THAT(ParseHistory(line + "\n" + line + "x", {.max_line_bytes = line.size()}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("line 2:")));
  EXPECT_THAT(ParseHistory(line + "\n" + line, {.max_operations = 1}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_operations (1)")));
  EXPECT_THAT(ParseHistory(line, {.max_operations = 0}), StatusIs(kInvalid));
}

TEST(LincheckHistoryTest, FormatsTheDocumentedShape) {
  const Operation cas{.client = 3, .kind = OpKind::kCas, .key = "k", .value = "b",
                      .expected = "a", .call_ns = 5, .return_ns = 9, .output = "true"};
  EXPECT_EQ(FormatOperation(cas),
            R"({"client": 3, "op": "cas", "key": "k", "expected": "a", "value": "b", )"
            R"("call_ns": 5, "return_ns": 9, "ok": true, "output": "true"})");
  const Operation get{.client = 1, .kind = OpKind::kGet, .key = "q\"\x01", .ok = false,
                      .found = false};
  EXPECT_EQ(FormatOperation(get),
            R"({"client": 1, "op": "get", "key": "q\"\u0001", "value": "", )"
            R"("call_ns": 0, "return_ns": 0, "ok": false, "output": "", "found": false})");
}

TEST(LincheckHistoryTest, RoundTripsArbitraryBytes) {
  std::string bytes;
  for (int c = 0; c < 256; ++c) bytes += static_cast<char>(c);
  const std::vector<Operation> history = {
      {.client = -1, .kind = OpKind::kPut, .key = bytes, .value = "v", .call_ns = 1,
       .return_ns = 2},
      {.client = 2, .kind = OpKind::kGet, .key = "k", .call_ns = 3, .return_ns = 4,
       .output = bytes, .found = true},
      {.client = 3, .kind = OpKind::kCas, .key = "", .value = bytes, .expected = bytes,
       .call_ns = 5, .return_ns = 0, .ok = false},
  };
  const std::string text = FormatHistory(history);
  EXPECT_THAT(ParseHistory(text), IsOkAndHolds(ElementsAre(history[0], history[1], history[2])));
}

}  // namespace
}  // namespace cohort::testing
