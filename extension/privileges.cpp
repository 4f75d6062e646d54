// The admin check of the C entry points (the SQL ones call immich_maint.require_admin, which
// applies the same rule).
#include "extension/privileges.h"

extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "utils/acl.h"
}

namespace immich_maint::pg {

void RequireAdmin(const char* action) {
  const Oid admin = get_role_oid("immich_maint_admin", true);
  if (superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin))) return;
  ereport(ERROR,
          (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to %s", action),
           errhint("Grant immich_maint_admin to the role, or run as a superuser.")));
}

}  // namespace immich_maint::pg
