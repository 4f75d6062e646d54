// File names as text: a Linux name is any bytes, while JSON, PostgreSQL text and a terminal
// line need valid UTF-8 without control characters. Names are shown with the offending bytes as
// \xNN, and kept exact as hex where it matters. Also decodes PostgreSQL's COPY text format.
#pragma once

#include <string>
#include <string_view>

namespace immich_maint::core {

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), as PostgreSQL and
// nlohmann::json require.
bool IsValidUtf8(std::string_view text);

// Valid UTF-8 kept as is; each byte of an invalid sequence written as \xNN (lowercase hex).
std::string EscapeInvalidUtf8(std::string_view text);

// As EscapeInvalidUtf8, and control characters (newline, tab, DEL, ...) as \xNN too, so a
// name stays on one terminal line.
std::string EscapeForTerminal(std::string_view text);

// Lowercase hex of every byte ("ab\xff" -> "6162ff"), as PostgreSQL's decode(.., 'hex') reads.
std::string HexBytes(std::string_view bytes);

// One field of a row of `COPY ... TO STDOUT` in text format: \\, \n, \r, \t, \b, \f, \v,
// octal \NNN and \xHH decoded. (The caller excludes NULL, which COPY writes as \N.)
std::string UnescapeCopyText(std::string_view field);

}  // namespace immich_maint::core
