// ereport side of the C++ guard (see guard.h).
#include "extension/guard.h"

#include <cstdio>

extern "C" {
#include "postgres.h"
}

namespace immich_maint::pg {

namespace {
void CopyText(char* out, std::size_t size, const char* text) noexcept {
  snprintf(out, size, "%s", text == nullptr ? "" : text);  // PostgreSQL maps snprintf to its own
  const std::size_t length = strlen(out);
  if (text == nullptr || text[length] == '\0') return;
  // Truncated: cut before the character the cut fell into, so the message stays valid UTF-8.
  std::size_t end = length;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  out[end] = '\0';
}

}  // namespace

void CaptureError(const core::Error& error, PendingError* pending) noexcept {
  CopyText(pending->sqlstate, sizeof(pending->sqlstate), core::Describe(error.code).sqlstate);
  CopyText(pending->message, sizeof(pending->message), error.message.c_str());
  CopyText(pending->detail, sizeof(pending->detail), error.detail.c_str());
  CopyText(pending->hint, sizeof(pending->hint), error.hint.c_str());
}

void CaptureMessage(const char* sqlstate, const char* message, PendingError* pending) noexcept {
  CopyText(pending->sqlstate, sizeof(pending->sqlstate), sqlstate);
  CopyText(pending->message, sizeof(pending->message), message);
  pending->detail[0] = '\0';
  pending->hint[0] = '\0';
}

void RaisePending(const PendingError& p) {
  const char* s = p.sqlstate;
  ereport(ERROR, (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])), errmsg("%s", p.message),
                  p.detail[0] ? errdetail("%s", p.detail) : 0,
                  p.hint[0] ? errhint("%s", p.hint) : 0));
  pg_unreachable();
}

}  // namespace immich_maint::pg
