// Pins core/path_text.h: strict UTF-8, the \xNN escapes of names that are not UTF-8 or hold
// control characters, hex for exact bytes, and PostgreSQL's COPY text escapes.
#include "core/path_text.h"

#include <gtest/gtest.h>

namespace immich_maint::core {
namespace {

TEST(PathText, ValidUtf8AcceptsTextAndRejectsBrokenSequences) {
  EXPECT_TRUE(IsValidUtf8("upload/été/😀.jpg"));
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_FALSE(IsValidUtf8("bad\xff.jpg"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("latin1 caf\xe9"));
}

TEST(PathText, InvalidBytesEscapedValidTextKept) {
  EXPECT_EQ(EscapeInvalidUtf8("caf\xe9 été\n.jpg"), "caf\\xe9 été\n.jpg");
  EXPECT_EQ(EscapeInvalidUtf8("\xf0\x9f\x98"), "\\xf0\\x9f\\x98");
}

TEST(PathText, TerminalEscapesControlsToo) {
  EXPECT_EQ(EscapeForTerminal("a\nb\tc\x7f d\xff é"), "a\\x0ab\\x09c\\x7f d\\xff é");
}

TEST(PathText, HexIsLowercasePerByte) { EXPECT_EQ(HexBytes("ab\xff\n"), "6162ff0a"); }

TEST(PathText, CopyTextEscapesDecode) {
  EXPECT_EQ(UnescapeCopyText("plain/path.jpg"), "plain/path.jpg");
  EXPECT_EQ(UnescapeCopyText("a\\\\b\\nc\\td\\re"), "a\\b\nc\td\re");
  EXPECT_EQ(UnescapeCopyText("\\101\\x42\\7"), std::string("AB\x07"));
  EXPECT_EQ(UnescapeCopyText("end\\"), "end\\");
}

}  // namespace
}  // namespace immich_maint::core
