// Fault injection against a real PostgreSQL 15 (design/store.md section 15, items 3, 4, 5, 6 and 9): the
// server restarted, the COMMIT's answer lost, the network stalled or cut while a refresh holds the lock, a
// zombie holder whose session the server ended, and a database that is not there. Each case ends with the
// store checked against the emulator: the refresh token it holds is the live one, the generation rose by
// exactly the exchanges that succeeded, and no secret is in the database or on a host's disk in clear.
#include "support/pg_setup.hpp"
#include "support/tcp_proxy.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <thread>

using namespace keap::test;
using namespace std::chrono_literals;

namespace {

using Mode = TcpProxy::Mode;

/// The environment that sends one host's keap-auth through `proxy` while the other hosts, and the checks
/// (which run on host 0), keep talking to the cluster directly: a fault on one host's network must not
/// hide what the database really holds.
std::map<std::string, std::string> through(const PgSetup& setup, const TcpProxy& proxy) {
  return {{"KEAP_STORE_URL", setup.cluster.url("keap", proxy.port())}};
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

struct Journals {
  std::vector<std::string> pending;   ///< PROFILE.N.PID.journal: a pair the store may still lack
  std::vector<std::string> committed; ///< retired, kept for the failover guard
  /// The retired journals of the write to generation `to` (`store import` leaves one for generation 1).
  size_t committed_for(const std::string& profile, long long to) const {
    auto stem = "/" + profile + "." + std::to_string(to) + ".";
    return static_cast<size_t>(std::count_if(committed.begin(), committed.end(), [&](const std::string& path) {
      return path.find(stem) != std::string::npos;
    }));
  }
};

/// The journals host `host` keeps (design section 8: JOURNAL_DIR/STORE_ID; a setup has one store), read
/// without the database, which may be down.
Journals journals(PgSetup& setup, size_t host) {
  auto folder = setup.hosts.at(host)->home.file("state") + "/keap-auth/journal";
  Journals found;
  std::error_code missing;
  for (std::filesystem::recursive_directory_iterator entry(folder, missing), end; !missing && entry != end;
       entry.increment(missing)) {
    auto name = entry->path().string();
    if (name.ends_with(".journal")) {
      found.pending.push_back(name);
    } else if (name.ends_with(".journal.committed")) {
      found.committed.push_back(name);
    }
  }
  return found;
}

/// The profile's events, oldest first, as "KIND FROM>TO".
std::vector<std::string> events(PgSetup& setup, const std::string& profile = "default") {
  auto text = setup.sql("select kind || ' ' || coalesce(from_generation, 0) || '>' || coalesce(to_generation, 0) "
                        "from keap_auth.events where profile = '" +
                        profile + "' order by id");
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end;
    if (end > start) {
      lines.push_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return lines;
}

size_t count_of(const std::vector<std::string>& lines, const std::string& line) {
  return static_cast<size_t>(std::count(lines.begin(), lines.end(), line));
}

std::string state_of(PgSetup& setup, const std::string& profile = "default") {
  return trimmed(setup.sql("select state from keap_auth.credentials where profile = '" + profile + "'"));
}

/// The refresh token the emulator issued last for a refresh_token grant (empty when none succeeded).
std::string last_issued_refresh_token(PgSetup& setup) {
  std::string issued;
  for (const auto& request : setup.emulator.server.state().token_requests()) {
    if (request.grant_type == "refresh_token" && request.status == 200) {
      issued = request.issued_refresh_token;
    }
  }
  return issued;
}

/// Small numbers, so the faults play out in seconds: the endpoint delays stay well inside D.
nlohmann::json short_timeouts(nlohmann::json more = nlohmann::json::object()) {
  nlohmann::json config = {{"refresh_deadline", "8s"}, {"store_connect_timeout", "2s"}};
  config.update(more);
  return config;
}

} // namespace

TEST_CASE("pgstore faults: PostgreSQL restarted during a slow token endpoint: the refresh reconnects and the "
          "journal puts the new pair in",
          "[postgres][pgstore][faults]") {
  auto mode = GENERATE(as<std::string>(), "fast", "immediate");
  INFO("pg_ctl stop -m " << mode);
  PgSetup setup(1, emulator_settings(), short_timeouts());
  auto seeded = setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(3s, 1));
  auto before = setup.emulator.server.state().token_requests().size();

  auto holder = setup.start({"token"});
  // The request has reached Keap (and rotated RT0 there): the new pair now exists only in flight, and the
  // session holding the lock is about to die under it.
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  setup.cluster.restart(mode);
  auto result = holder->wait();
  INFO(result.err);

  REQUIRE(result.exit_code == 0);
  CHECK(refresh_grants(setup.emulator, 200) == 1);
  CHECK(refresh_grants(setup.emulator, 0) == 1); // one exchange, never a replay of the spent RT0
  auto held = setup.grant();
  CHECK(result.out == held.access_token + "\n");
  CHECK(held.refresh_token == last_issued_refresh_token(setup));
  CHECK(held.refresh_token != seeded.refresh_token);
  // The restart ended the transaction, so the pair got in through the journal, in a new session.
  auto log = events(setup);
  CHECK(count_of(log, "reconcile_applied 1>2") == 1);
  CHECK(count_of(log, "refresh_ok 1>2") == 0);
  auto kept = journals(setup, 0);
  CHECK(kept.pending.empty());
  CHECK(kept.committed_for("default", 2) == 1);
  CHECK(state_of(setup) == "active");
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore faults: the COMMIT's answer is lost: the refresh finds it already committed and counts it "
          "once",
          "[postgres][pgstore][faults]") {
  PgSetup setup(2, emulator_settings(), short_timeouts());
  TcpProxy proxy(setup.cluster.port());
  auto seeded = setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(1s, 1));
  auto before = setup.emulator.server.state().token_requests().size();

  auto holder = setup.start({"token"}, 1, through(setup, proxy));
  // Armed only once the refresh is under way, so the COMMIT that loses its answer is the refresh's own.
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  proxy.set_mode(Mode::drop_commit_reply);
  auto result = holder->wait();
  INFO(result.err);

  CHECK(proxy.commits_dropped() == 1);
  REQUIRE(result.exit_code == 0);
  auto held = setup.grant();
  CHECK(result.out == held.access_token + "\n");
  // The server had committed: the journal found its pair in the row and was retired, with no second
  // write (which would be generation 3 or a reconcile_applied event).
  auto log = events(setup);
  CHECK(count_of(log, "refresh_ok 1>2") == 1);
  CHECK(count_of(log, "reconcile_applied 1>2") == 0);
  auto kept = journals(setup, 1);
  CHECK(kept.pending.empty());
  CHECK(kept.committed_for("default", 2) == 1);
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  CHECK(held.refresh_token != seeded.refresh_token);

  // And the next command of that host that reads the store has nothing left to replay.
  auto again = setup.keap({"status"}, 1, through(setup, proxy));
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("journal") == std::string::npos);
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore faults: a network stall shorter than the deadlines: the holder keeps its lock and finishes once "
          "the network passes again",
          "[postgres][pgstore][faults]") {
  PgSetup setup(2, emulator_settings(), short_timeouts());
  TcpProxy proxy(setup.cluster.port());
  setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(2s, 1));
  auto before = setup.emulator.server.state().token_requests().size();

  auto holder = setup.start({"token"}, 1, through(setup, proxy));
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  proxy.set_mode(Mode::stall);
  // The journal is written just before the UPDATE: from then on the holder is waiting on the stalled link.
  REQUIRE(eventually([&] { return !journals(setup, 1).pending.empty(); }, 10s));

  // A silent partition does not end the session: the server still holds the lock for the holder, and a
  // waiter on another host is told who has it.
  auto waiter = setup.keap({"token", "--lock-timeout", "1s"}, 0);
  INFO(waiter.err);
  CHECK(waiter.exit_code == 5);
  CHECK(waiter.err.find("keap-auth/") != std::string::npos);
  CHECK(waiter.err.find("/" + std::to_string(holder->pid()) + "\"") != std::string::npos);
  REQUIRE(holder->running());

  proxy.set_mode(Mode::pass);
  auto result = holder->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto held = setup.grant();
  CHECK(result.out == held.access_token + "\n");
  auto log = events(setup);
  CHECK(count_of(log, "refresh_ok 1>2") == 1); // its own transaction committed: nothing to reconcile
  CHECK(count_of(log, "reconcile_applied 1>2") == 0);
  CHECK(journals(setup, 1).pending.empty());
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore faults: a network stall longer than the statement deadline: the holder gives up, keeps the "
          "journal, and the next command puts the pair in",
          "[postgres][pgstore][faults]") {
  PgSetup setup(2, emulator_settings(), short_timeouts({{"store_statement_timeout", "3s"}}));
  TcpProxy proxy(setup.cluster.port());
  setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(1s, 1));
  auto before = setup.emulator.server.state().token_requests().size();

  auto holder = setup.start({"token"}, 1, through(setup, proxy));
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  proxy.set_mode(Mode::stall);
  auto result = holder->wait(50s);
  INFO(result.err);

  // libpq has no deadline of its own; keap-auth's must end the wait, and say where the pair is.
  CHECK(result.exit_code == 5);
  CHECK(result.out.empty());
  CHECK(result.err.find("did not answer in time") != std::string::npos);
  auto kept = journals(setup, 1);
  REQUIRE(kept.pending.size() == 1);
  CHECK(result.err.find(kept.pending[0]) != std::string::npos);
  CHECK(setup.generation() == 1);
  CHECK(refresh_grants(setup.emulator, 0) == 1);

  // Once the stall ends, the abandoned session's statements reach the server and it rolls back; the
  // host's next command finds the journal and puts the pair in, without a second exchange.
  proxy.set_mode(Mode::pass);
  auto next = setup.keap({"token"}, 1, through(setup, proxy));
  INFO(next.err);
  REQUIRE(next.exit_code == 0);
  CHECK(next.err.find(kept.pending[0]) != std::string::npos);
  CHECK(next.err.find("it was put in") != std::string::npos);
  auto held = setup.grant();
  CHECK(next.out == held.access_token + "\n");
  CHECK(held.refresh_token == last_issued_refresh_token(setup));
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  auto log = events(setup);
  CHECK(count_of(log, "reconcile_applied 1>2") == 1);
  CHECK(count_of(log, "refresh_ok 1>2") == 0);
  CHECK(journals(setup, 1).pending.empty());
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore faults: a network cut while holding the lock frees it at once, and the holder's journal "
          "settles later",
          "[postgres][pgstore][faults]") {
  PgSetup setup(2, emulator_settings(), short_timeouts());
  TcpProxy proxy(setup.cluster.port());
  setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(3s, 1));
  auto before = setup.emulator.server.state().token_requests().size();

  auto holder = setup.start({"token"}, 1, through(setup, proxy));
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  auto holders = "select count(*) from pg_stat_activity where state = 'idle in transaction' and "
                 "application_name like 'keap-auth/%/" +
                 std::to_string(holder->pid()) + "'";
  REQUIRE(trimmed(setup.sql(holders)) == "1");
  proxy.set_mode(Mode::cut);

  // A cut closes the server's side too, so the lock goes with the session (not D + 30 s later): another
  // session takes the row within a one-second lock_timeout while the holder is still in its call.
  REQUIRE_NOTHROW(setup.sql("begin;\nset local lock_timeout = '1s';\n"
                            "select generation from keap_auth.credentials where profile = 'default' "
                            "for no key update;\nrollback;\n"));
  CHECK(eventually([&] { return trimmed(setup.sql(holders)) == "0"; }, 2s));
  CHECK(holder->running());

  // The answer then comes back to a holder without a database: it keeps the pair in its journal.
  auto result = holder->wait(50s);
  INFO(result.err);
  CHECK(result.exit_code == 5);
  auto kept = journals(setup, 1);
  REQUIRE(kept.pending.size() == 1);
  CHECK(result.err.find("the new pair is safe in the journal " + kept.pending[0]) != std::string::npos);
  CHECK(setup.generation() == 1);

  proxy.set_mode(Mode::pass);
  auto next = setup.keap({"token"}, 1, through(setup, proxy));
  INFO(next.err);
  REQUIRE(next.exit_code == 0);
  CHECK(next.err.find("it was put in") != std::string::npos);
  auto held = setup.grant();
  CHECK(next.out == held.access_token + "\n");
  CHECK(held.refresh_token == last_issued_refresh_token(setup));
  CHECK(count_of(events(setup), "reconcile_applied 1>2") == 1);
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  CHECK(journals(setup, 1).pending.empty());
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore faults: zombie: the holder's session is terminated, another host spends the dead token, and "
          "the holder's journal brings the grant back",
          "[postgres][pgstore][faults]") {
  PgSetup setup(2, emulator_settings(), short_timeouts({{"refresh_deadline", "12s"}}));
  auto seeded = setup.seed("default", -1h);
  // Long enough that host B's whole refresh fits in host A's call.
  setup.emulator.server.state().set_token_fault(slow_answer(5s, 1));
  auto before = setup.emulator.server.state().token_requests().size();

  auto host_a = setup.start({"token"}, 0);
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  auto sessions_of_a =
      "from pg_stat_activity where application_name like 'keap-auth/%/" + std::to_string(host_a->pid()) + "'";
  REQUIRE(trimmed(setup.sql("select count(*) " + sessions_of_a + " and state = 'idle in transaction'")) == "1");
  setup.sql("select pg_terminate_backend(pid) " + sessions_of_a);
  REQUIRE(eventually([&] { return trimmed(setup.sql("select count(*) " + sessions_of_a)) == "0"; }, 5s));

  // B gets the lock A lost and sends RT0, which A already spent at Keap.
  auto host_b = setup.keap({"token"}, 1);
  INFO(host_b.err);
  CHECK(host_b.exit_code == 4);
  CHECK(state_of(setup) == "needs_login");
  CHECK(setup.generation() == 1);
  CHECK(refresh_grants(setup.emulator, 400) == 1);
  REQUIRE(host_a->running()); // otherwise A settled first and B never met the zombie window

  auto result = host_a->wait();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // B's rejection changed no secret, so the generation A read still fits: its CAS applies.
  CHECK(state_of(setup) == "active");
  CHECK(setup.generation() == 2);
  auto log = events(setup);
  CHECK(count_of(log, "refresh_rejected 1>1") == 1);
  CHECK(count_of(log, "reconcile_applied 1>2") == 1);
  CHECK(journals(setup, 0).pending.empty());

  auto held = setup.grant();
  CHECK(result.out == held.access_token + "\n");
  CHECK(held.refresh_token == last_issued_refresh_token(setup));
  CHECK(held.refresh_token != seeded.refresh_token);
  auto again = setup.keap({"token"}, 1);
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out == held.access_token + "\n");
  CHECK(refresh_grants(setup.emulator, 200) == 1);
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore faults: the database is unreachable: token and refresh exit 5 at once, naming it, with nothing "
          "sent to Keap",
          "[postgres][pgstore][faults]") {
  PgSetup setup(2, emulator_settings(), short_timeouts());
  setup.seed("default", -1h);
  auto port = std::to_string(setup.cluster.port());

  SECTION("the cluster is stopped: the connection is refused") {
    setup.cluster.stop("fast");
    for (std::string command : {"token", "refresh"}) {
      INFO(command);
      auto started = std::chrono::steady_clock::now();
      auto result = setup.keap({command}, 1);
      auto took = std::chrono::steady_clock::now() - started;
      INFO(result.err);
      CHECK(result.exit_code == 5);
      CHECK(took < 3s); // a refused connection needs no timeout
      CHECK(result.out.empty());
      CHECK(result.err.find("cannot connect to the PostgreSQL store") != std::string::npos);
      CHECK(result.err.find(port) != std::string::npos);
    }
    setup.cluster.start();
  }
  SECTION("a listener that never answers: connect_timeout bounds the wait") {
    TcpProxy proxy(setup.cluster.port());
    proxy.set_mode(Mode::stall);
    auto started = std::chrono::steady_clock::now();
    auto result = setup.keap({"token"}, 1, through(setup, proxy));
    auto took = std::chrono::steady_clock::now() - started;
    INFO(result.err);
    CHECK(result.exit_code == 5);
    CHECK(took < 6s); // store_connect_timeout is 2 s
    CHECK(result.err.find("cannot connect to the PostgreSQL store") != std::string::npos);
    CHECK(result.err.find("timeout") != std::string::npos);
    proxy.set_mode(Mode::pass);
  }

  CHECK(refresh_grants(setup.emulator, 0) == 0);
  CHECK(setup.generation() == 1);
  auto healed = setup.keap({"token"}, 1);
  INFO(healed.err);
  REQUIRE(healed.exit_code == 0);
  CHECK(healed.out == setup.grant().access_token + "\n");
  setup.require_consistent("default", 2);
}

TEST_CASE("pgstore faults: the database goes down between Keap's answer and the UPDATE: exit 5 naming the "
          "journal, and the next command heals the store",
          "[postgres][pgstore][faults]") {
  PgSetup setup(2, emulator_settings(), short_timeouts());
  setup.seed("default", -1h);
  setup.emulator.server.state().set_token_fault(slow_answer(2s, 1));
  auto before = setup.emulator.server.state().token_requests().size();

  auto holder = setup.start({"token"}, 1);
  REQUIRE(wait_for_token_requests(setup.emulator, before + 1, 10s));
  setup.cluster.stop("fast");
  auto result = holder->wait(50s);
  INFO(result.err);

  // Down for good as far as the holder can tell: its retries end, and the pair waits in the journal.
  CHECK(result.exit_code == 5);
  auto kept = journals(setup, 1);
  REQUIRE(kept.pending.size() == 1);
  CHECK(result.err.find("the new pair is safe in the journal " + kept.pending[0]) != std::string::npos);
  CHECK(result.err.find("the next keap-auth command puts it into the store") != std::string::npos);

  setup.cluster.start();
  CHECK(setup.generation() == 1);
  auto next = setup.keap({"token"}, 1);
  INFO(next.err);
  REQUIRE(next.exit_code == 0);
  CHECK(next.err.find(kept.pending[0]) != std::string::npos);
  auto held = setup.grant();
  CHECK(next.out == held.access_token + "\n");
  CHECK(held.refresh_token == last_issued_refresh_token(setup));
  CHECK(refresh_grants(setup.emulator, 0) == 1);
  CHECK(count_of(events(setup), "reconcile_applied 1>2") == 1);
  CHECK(journals(setup, 1).pending.empty());
  setup.require_consistent("default", 2);
}
