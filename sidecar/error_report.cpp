// Error output for the sidecar: one format for the terminal and for job_run.error.
#include "sidecar/error_report.h"

namespace immich_maint::sidecar {

int ReportError(const core::Error& error, std::ostream& err) {
  err << "ERROR: " << error.message << '\n';
  if (!error.detail.empty()) err << "DETAIL: " << error.detail << '\n';
  if (!error.hint.empty()) err << "HINT: " << error.hint << '\n';
  return core::Describe(error.code).exit_status;
}

std::string ErrorText(const core::Error& error) {
  std::string text = error.message;
  if (!error.detail.empty()) text += "\nDETAIL: " + error.detail;
  if (!error.hint.empty()) text += "\nHINT: " + error.hint;
  return text;
}

}  // namespace immich_maint::sidecar
