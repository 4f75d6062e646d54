// A ChildSpec that runs a shell script: the child for RunChild's and FedChild's tests.
#pragma once

#include <string>

#include "sidecar/child_process.h"

namespace immich_maint::sidecar {

inline ChildSpec Shell(const std::string& script) {
  ChildSpec spec;
  spec.binary = "/bin/sh";
  spec.args = {"-c", script};
  return spec;
}

}  // namespace immich_maint::sidecar
