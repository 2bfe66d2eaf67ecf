#include "util/private_memory.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace keap::util {

void keep_memory_private() {
  rlimit none{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none); // a failure leaves the other protection in place
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

} // namespace keap::util
