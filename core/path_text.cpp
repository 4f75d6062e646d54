// UTF-8 checks and escapes for file names, and COPY text decoding.
#include "core/path_text.h"

namespace immich_maint::core {

namespace {

const char kHex[] = "0123456789abcdef";

void AppendEscapedByte(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0f];
}

bool IsContinuation(unsigned char byte) { return (byte & 0xc0) == 0x80; }

// Length of the valid UTF-8 sequence at text[i], or 0 when the bytes there are not one.
std::size_t ValidSequenceLength(std::string_view text, std::size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
  if (byte >= 0xc2 && byte <= 0xdf)
    length = 2;
  else if (byte == 0xe0)
    length = 3, low = 0xa0;
  else if (byte == 0xed)
    length = 3, high = 0x9f;  // no surrogates
  else if (byte >= 0xe1 && byte <= 0xef)
    length = 3;
  else if (byte == 0xf0)
    length = 4, low = 0x90;
  else if (byte == 0xf4)
    length = 4, high = 0x8f;  // nothing above U+10FFFF
  else if (byte >= 0xf1 && byte <= 0xf3)
    length = 4;
  if (length == 0 || i + length > text.size()) return 0;
  const auto second = static_cast<unsigned char>(text[i + 1]);
  if (second < low || second > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (!IsContinuation(static_cast<unsigned char>(text[i + k]))) return 0;
  }
  return length;
}

std::string Escape(std::string_view text, bool controls) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = ValidSequenceLength(text, i);
    const auto byte = static_cast<unsigned char>(text[i]);
    if (length == 0 || (controls && length == 1 && (byte < 0x20 || byte == 0x7f))) {
      AppendEscapedByte(out, byte);
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the escape at field[i] (just after the backslash); returns the bytes consumed.
std::size_t DecodeEscape(std::string_view field, std::size_t i, std::string& out) {
  const char c = field[i];
  switch (c) {
    case 'n':
      out += '\n';
      return 1;
    case 'r':
      out += '\r';
      return 1;
    case 't':
      out += '\t';
      return 1;
    case 'b':
      out += '\b';
      return 1;
    case 'f':
      out += '\f';
      return 1;
    case 'v':
      out += '\v';
      return 1;
    default:
      break;
  }
  if (c >= '0' && c <= '7') {
    int value = 0;
    std::size_t n = 0;
    while (n < 3 && i + n < field.size() && field[i + n] >= '0' && field[i + n] <= '7') {
      value = value * 8 + (field[i + n] - '0');
      ++n;
    }
    out += static_cast<char>(value & 0xff);
    return n;
  }
  if (c == 'x' && i + 1 < field.size() && HexValue(field[i + 1]) >= 0) {
    int value = HexValue(field[i + 1]);
    std::size_t n = 2;
    if (i + 2 < field.size() && HexValue(field[i + 2]) >= 0)
      value = value * 16 + HexValue(field[i + 2]), n = 3;
    out += static_cast<char>(value);
    return n;
  }
  out += c;  // \\ and any other character stand for themselves
  return 1;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = ValidSequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string EscapeInvalidUtf8(std::string_view text) { return Escape(text, false); }

std::string EscapeForTerminal(std::string_view text) { return Escape(text, true); }

std::string HexBytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0f];
  }
  return out;
}

std::string UnescapeCopyText(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    i += DecodeEscape(field, i + 1, out);
  }
  return out;
}

}  // namespace immich_maint::core
