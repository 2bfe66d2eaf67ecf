#define CATCH_CONFIG_MAIN
#include "support/process.hpp"

#include <catch2/catch.hpp>

namespace {

/// Once an assertion of a test case fails, its temporary folders (what its processes wrote, their
/// stdout and stderr) are kept and named; a test case that passes leaves nothing behind.
class KeepFoldersOfFailures : public Catch::TestEventListenerBase {
public:
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    TestEventListenerBase::testCaseStarting(info);
    keap::test::note_test_case_started();
  }
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk()) {
      keap::test::note_assertion_failed();
    }
    return TestEventListenerBase::assertionEnded(stats);
  }
};

} // namespace

CATCH_REGISTER_LISTENER(KeepFoldersOfFailures)
