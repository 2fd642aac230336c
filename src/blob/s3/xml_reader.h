// A small XML reader for S3's responses: elements, text, entities and CDATA;
// attributes, comments, processing instructions and DOCTYPE are skipped.
// Namespace prefixes are dropped ("s3:Key" reads as "Key").
//
// Bounded for hostile input: documents over `kMaxXmlBytes`, nesting deeper
// than `kMaxXmlDepth` and more than `kMaxXmlElements` elements are refused
// before they cost memory. External entities are never resolved.
//
// Errors: kInvalidArgument naming the byte offset of the problem.
// Thread-safety: pure function; the result is a plain value.
#ifndef COHORT_SRC_BLOB_S3_XML_READER_H_
#define COHORT_SRC_BLOB_S3_XML_READER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cohort::blob::s3 {

inline constexpr std::size_t kMaxXmlBytes = 64u << 20;
inline constexpr int kMaxXmlDepth = 64;
inline constexpr std::size_t kMaxXmlElements = 1u << 20;

struct XmlElement {
  std::string name{};
  // Concatenated character data directly inside this element.
  std::string text{};
  std::vector<XmlElement> children{};

  // The first child called `name`, or null.
  const XmlElement* Child(std::string_view child_name) const;
  // Text of the first child called `name`, or "" when absent.
  std::string ChildText(std::string_view child_name) const;
  // Every child called `name`, in document order.
  std::vector<const XmlElement*> Children(std::string_view child_name) const;
};

// Parses a whole document and returns its root element.
absl::StatusOr<XmlElement> ParseXml(std::string_view document);

}  // namespace cohort::blob::s3

#endif  // COHORT_SRC_BLOB_S3_XML_READER_H_
