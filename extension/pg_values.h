// Conversions between PostgreSQL values and plain C++ for the SQL wrappers.
// Included only by extension .cpp files that already include postgres.h and fmgr.h.
#pragma once

#include <string>
#include <string_view>

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace immich_maint::pg {

// A view of a text argument's bytes (detoasted; valid for the call). No C++ allocation.
std::string_view ArgTextView(FunctionCallInfo fcinfo, int index);

// A palloc'd text Datum holding the bytes of value.
Datum TextDatum(std::string_view value);

}  // namespace immich_maint::pg
