// Text argument and result conversion for SQL-callable functions.
#include "extension/pg_values.h"

extern "C" {
#include "utils/builtins.h"
}

namespace immich_maint::pg {

std::string_view ArgTextView(FunctionCallInfo fcinfo, int index) {
  text* value = PG_GETARG_TEXT_PP(index);
  return {VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)};
}

Datum TextDatum(std::string_view value) {
  return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
}

}  // namespace immich_maint::pg
