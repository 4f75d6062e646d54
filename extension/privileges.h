// Who may change, queue or step the scheduler: superusers and members of immich_maint_admin.
// Everyone else gets permission denied (42501) naming the action.
#pragma once

namespace immich_maint::pg {

// ERROR 42501 "permission denied to <action>" unless the current role qualifies.
void RequireAdmin(const char* action);

}  // namespace immich_maint::pg
