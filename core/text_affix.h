// Prefix and suffix tests on text (C++17's string_view has neither).
#pragma once

#include <string_view>

namespace immich_maint::core {

inline bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

inline bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace immich_maint::core
