// The pacer's cells (GCRA): never more than the limit in any window, nearly all of it used by a caller
// that sends as soon as it may, bursts as configured, and the headers obeyed.
#include "agent/pacing.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <random>

using namespace keap::agent;
using namespace std::chrono_literals;

namespace {

/// Sends for `length` of simulated time, each request as soon as `pools` admit it after a random think
/// time of at most `think`; returns the admission times.
std::vector<Nanoseconds> greedy_caller(Pools& pools, Nanoseconds length, Nanoseconds think, unsigned seed) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<long long> pause(0, think.count());
  std::vector<Nanoseconds> admitted;
  Nanoseconds now = 1s;
  while (now < 1s + length) {
    auto wait = pools.admit(now);
    if (wait == Nanoseconds(0)) {
      admitted.push_back(now);
      now += Nanoseconds(pause(random));
    } else {
      now += wait;
    }
  }
  return admitted;
}

/// The most requests any half-open window of `period` holds.
long long busiest_window(const std::vector<Nanoseconds>& times, Nanoseconds period) {
  std::deque<Nanoseconds> window;
  long long most = 0;
  for (auto at : times) {
    window.push_back(at);
    while (window.front() <= at - period) {
      window.pop_front();
    }
    most = std::max(most, static_cast<long long>(window.size()));
  }
  return most;
}

} // namespace

TEST_CASE("pacing: a greedy caller never puts more than the limit in any window, and uses at least 90% of it",
          "[agent][pacing]") {
  for (auto [limit, burst] : {std::pair{1500LL, 25LL}, {240LL, 10LL}, {600LL, 1LL}, {10LL, 10LL}, {1LL, 1LL}}) {
    for (auto think : {0ns, Nanoseconds(5ms), Nanoseconds(50ms)}) {
      Gcra minute(limit, 60s, burst);
      Pools pools({&minute});
      auto times = greedy_caller(pools, 600s, think, static_cast<unsigned>(limit + burst));
      INFO("limit " << limit << ", burst " << burst << ", think " << think.count() << " ns");
      CHECK(busiest_window(times, 60s) <= limit);
      if (think == 0ns) { // a steady caller gets limit - burst + 1 a window, after the first burst
        CHECK(static_cast<long long>(times.size()) >= burst + (limit - burst + 1) * 10 - 1);
      }
      if (think == 0ns && burst * 10 <= limit) {
        CHECK(static_cast<double>(times.size()) >= 0.9 * static_cast<double>(limit) * 10);
      }
    }
  }
}

TEST_CASE("pacing: a request is admitted only when every pool admits it, and counted in all or none",
          "[agent][pacing]") {
  Gcra minute(1500, 60s, 25);
  Gcra second(25, 1s, 1); // Keap's spike: 25 a second, evenly
  Pools pools({&minute, &second});
  auto times = greedy_caller(pools, 120s, 0ns, 7);
  CHECK(busiest_window(times, 1s) <= 25);
  CHECK(busiest_window(times, 60s) <= 1500);
  CHECK(static_cast<double>(times.size()) >= 0.9 * 1500 * 2);

  Gcra open(1000, 1s, 1000);
  Gcra full(1, 60s, 1);
  Pools both({&open, &full});
  CHECK(both.admit(1s) == Nanoseconds(0));
  CHECK(both.admit(1s) > Nanoseconds(0)); // the full pool refuses...
  Pools alone({&open});
  for (int i = 0; i < 999; ++i) { // ...and the open pool did not count the refused request
    REQUIRE(alone.admit(1s) == Nanoseconds(0));
  }
  CHECK(alone.admit(1s) > Nanoseconds(0));
}

TEST_CASE("pacing: the burst goes at once, the next waits one interval", "[agent][pacing]") {
  Gcra spike(25, 1s, 5);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(spike.wait(1s) == Nanoseconds(0));
    spike.take(1s);
  }
  CHECK(spike.wait(1s) == Nanoseconds((1'000'000'000 + 20) / 21)); // 21 slots a second, rounded up
}

TEST_CASE("pacing: Keap's throttle-available header slows the cell, never speeds it up", "[agent][pacing]") {
  Gcra minute(1500, 60s, 25);
  minute.observe_available(1s, 0);
  CHECK(minute.wait(1s) > Nanoseconds(0));
  Gcra other(1500, 60s, 25);
  other.observe_available(1s, 3);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(other.wait(1s) == Nanoseconds(0));
    other.take(1s);
  }
  CHECK(other.wait(1s) > Nanoseconds(0));
  other.observe_available(1s, 1500); // a generous header does not undo what was counted
  CHECK(other.wait(1s) > Nanoseconds(0));
}

TEST_CASE("pacing: a pool without room for its burst is refused", "[agent][pacing]") {
  CHECK_THROWS_AS(Gcra(10, 1s, 11), std::invalid_argument);
  CHECK_THROWS_AS(Gcra(10, 1s, 0), std::invalid_argument);
  CHECK_THROWS_AS(Gcra(10, 0s, 1), std::invalid_argument);
}

TEST_CASE("agent::Pacer: places are reserved first come first served, refused beyond max_wait, held for the day",
          "[agent][pacing]") {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  Pacer pacer;
  std::vector<PoolSpec> pools{{"client:x/second", 10, seconds(1), 1}};
  Nanoseconds now{seconds(1000)};
  std::vector<Nanoseconds> waits;
  for (int i = 0; i < 5; ++i) {
    auto admission = pacer.reserve(pools, now, seconds(10));
    REQUIRE(admission.admitted);
    waits.push_back(admission.wait);
  }
  // Five callers at once: each one interval (100 ms) after the one before, in the order they came.
  for (size_t i = 0; i < waits.size(); ++i) {
    CHECK(waits[i] == milliseconds(100) * static_cast<long>(i));
  }
  auto refused = pacer.reserve(pools, now, milliseconds(300));
  CHECK_FALSE(refused.admitted);
  CHECK(refused.wait == milliseconds(500)); // when a place would be: Retry-After
  CHECK(pacer.reserve(pools, now, seconds(10)).wait == milliseconds(500)); // the refusal took no place

  pacer.hold("client:x/second", now + seconds(60));
  auto held = pacer.reserve(pools, now + seconds(30), seconds(10));
  CHECK_FALSE(held.admitted);
  CHECK(held.wait == seconds(30));
  CHECK(pacer.reserve(pools, now + seconds(61), seconds(10)).admitted);
}

TEST_CASE("pools_for: a grant draws on its client id and tenant, a key on its own pools, never named by "
          "a secret",
          "[agent][pacing]") {
  keap::OAuthGrant grant;
  grant.client_id = "client-1";
  grant.app = "ab123";
  grant.access_token = "secret-token";
  auto pools = pools_for(grant, PaceLimits{});
  REQUIRE(pools.size() == 3);
  CHECK(pools[0].name == "client:client-1/minute");
  CHECK(pools[0].limit == 1500);
  CHECK(pools[0].burst == 25);
  CHECK(pools[1].name == "client:client-1/second");
  CHECK(pools[2].name == "tenant:ab123/minute");
  keap::ApiKey key;
  key.key = "KeapAK-secret-key";
  auto key_pools = pools_for(key, PaceLimits{});
  REQUIRE(key_pools.size() == 2);
  CHECK(key_pools[0].limit == 240);
  CHECK(key_pools[1].limit == 10);
  for (const auto& pool : key_pools) {
    CHECK(pool.name.find("secret") == std::string::npos);
    CHECK(pool.period > std::chrono::seconds(0));
  }
}
