// The XML reader: what S3 sends, and the malformed or hostile input it must
// refuse with a status.
#include "blob/s3/xml_reader.h"

#include <string>

#include "cohort/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::blob::s3 {
namespace {

using ::cohort::testing::IsOk;
using ::cohort::testing::StatusIs;
using ::testing::HasSubstr;

TEST(XmlReaderTest, ReadsElementsTextEntitiesAndCdata) {
  absl::StatusOr<XmlElement> root = ParseXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- lead -->\n"
      "<s3:Root xmlns:s3=\"urn:x\" a='1'><Key>a&amp;b&lt;&gt;&quot;&apos;&#65;&#x263A;</Key>"
      "<Empty/><Raw><![CDATA[<not & parsed>]]></Raw><Key>second</Key>"
      "<Nested><Deep>d</Deep></Nested><?pi ignored?></s3:Root>\n");
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(root->name, "Root");
  EXPECT_EQ(root->ChildText("Key"), "a&b<>\"'A\xe2\x98\xba");
  ASSERT_NE(root->Child("Empty"), nullptr);
  EXPECT_EQ(root->Child("Empty")->text, "");
  EXPECT_EQ(root->ChildText("Raw"), "<not & parsed>");
  EXPECT_EQ(root->Children("Key").size(), 2u);
  EXPECT_EQ(root->Child("Nested")->ChildText("Deep"), "d");
  EXPECT_EQ(root->ChildText("Missing"), "");
}

TEST(XmlReaderTest, KeepsSignificantWhitespaceInText) {
  absl::StatusOr<XmlElement> root = ParseXml("<K>  spaced key  </K>");
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(root->text, "  spaced key  ");
}

TEST(XmlReaderTest, RefusesMalformedDocuments) {
  for (const char* bad : {"", "text", "<a>", "<a></b>", "<a><b></a>", "<a>&unknown;</a>",
                          "<a>&#0;</a>", "<a>&#xD800;</a>", "<a>&amp</a>", "<a x=1></a>",
                          "<a x=\"1></a>", "<a></a><b></b>", "<a></a>trailing", "<!-- x",
                          "<a><![CDATA[x</a>", "<>", "</a>", "<a/", "<?xml"}) {
    EXPECT_THAT(ParseXml(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(XmlReaderTest, RefusesDoctypeSubsetsSoNoEntityExpansion) {
  EXPECT_THAT(ParseXml("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DOCTYPE")));
  EXPECT_THAT(ParseXml("<!DOCTYPE a><a>t</a>"), IsOk());
}

TEST(XmlReaderTest, BoundsNesting) {
  std::string deep;
  for (int i = 0; i < kMaxXmlDepth + 1; ++i) deep += "<a>";
  for (int i = 0; i < kMaxXmlDepth + 1; ++i) deep += "</a>";
  EXPECT_THAT(ParseXml(deep), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeply")));
  std::string ok;
  for (int i = 0; i < kMaxXmlDepth; ++i) ok += "<a>";
  for (int i = 0; i < kMaxXmlDepth; ++i) ok += "</a>";
  EXPECT_THAT(ParseXml(ok), IsOk());
}

TEST(XmlReaderTest, ReportsTheOffset) {
  EXPECT_THAT(ParseXml("<a><b></c></a>"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset 9")));
}

}  // namespace
}  // namespace cohort::blob::s3
