// `keap-auth api` and API keys against the emulator's REST API, with real processes: what reached the
// server (the emulator's request log), what was printed where, and the exit codes scripts depend on.
#include "support/fixtures.hpp"
#include "support/scripted_server.hpp"

#include <catch2/catch.hpp>

#include <set>

#include <sys/resource.h>

using namespace keap;
using namespace keap::test;
using namespace std::chrono_literals;

namespace {

/// Stores the emulator's Personal Access Token (or `key`) as the credential, the way a user would.
void store_key(Setup& setup, const std::string& key, const std::string& kind = "pat") {
  auto file = setup.dir.file("key.txt");
  write_file(file, key + "\n", 0600);
  auto stored = setup.keap({"login", "--api-key-file", file, "--key-kind", kind});
  INFO(stored.err);
  REQUIRE(stored.exit_code == 0);
}

std::vector<emulator::ApiRequestRecord> api_requests(Setup& setup) { return setup.emulator.server.rest().requests(); }

bool has_name(const std::vector<std::string>& names, const std::string& wanted) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    return name.size() == wanted.size() && std::equal(name.begin(), name.end(), wanted.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  });
}

emulator::RestSettings rest_with(int contacts, long long quota = 150000) {
  emulator::RestSettings rest;
  rest.contacts = contacts;
  rest.limits.client_per_day = quota;
  rest.limits.key_per_day = quota;
  // These tests are about the CLI, not pacing: the per-second and minute pools out of the way.
  for (auto* limit : {&rest.limits.client_per_second, &rest.limits.client_per_minute, &rest.limits.key_per_second,
                      &rest.limits.key_per_minute}) {
    *limit = 1000000;
  }
  return rest;
}

} // namespace

TEST_CASE("api: the thread's case, a PAT uploading to v1/files, works the first time", "[api][files]") {
  Setup setup;
  store_key(setup, setup.emulator.server.rest().personal_access_token());
  write_file(setup.dir.file("test.txt"), "hello from keap-auth\n");
  auto result = setup.keap({"api", "v1/files", "--upload", setup.dir.file("test.txt"), "-F", "contact_id=51677"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto answer = json_of(result);
  REQUIRE(answer["file_descriptor"]["file_name"] == "test.txt");
  REQUIRE(answer["file_descriptor"]["contact_id"] == 51677);

  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 1);
  const auto& sent = requests.front();
  REQUIRE(sent.method == "POST");
  REQUIRE(sent.path == "/v1/files");
  REQUIRE(sent.credential == "pat");
  REQUIRE(sent.credential_header == "X-Keap-API-Key"); // and no Authorization beside it
  REQUIRE(sent.content_length == static_cast<long long>(sent.body.size()));
  REQUIRE(sent.transfer_encoding.empty());
  REQUIRE(sent.content_type == "application/json");
  REQUIRE(sent.body_utf8);
  REQUIRE(has_name(sent.header_names, "User-Agent"));
  REQUIRE(has_name(sent.header_names, "Accept"));
  auto body = nlohmann::json::parse(sent.body);
  REQUIRE(body["file_name"] == "test.txt");
  REQUIRE(body["file_data"] == "aGVsbG8gZnJvbSBrZWFwLWF1dGgK");
  REQUIRE(body["is_public"] == false);
  REQUIRE(body["file_association"] == "CONTACT");
  REQUIRE(body["contact_id"].is_number_integer());
}

TEST_CASE("api: the same call by hand without is_public gets Keap's 400, exit 6, and the body on stderr",
          "[api][files][errors]") {
  Setup setup;
  store_key(setup, setup.emulator.server.rest().personal_access_token());
  auto result = setup.keap({"api", "-X", "POST", "v1/files", "-F", "file_name=a.txt", "-F", "file_data=aGk=", "-F",
                            "file_association=USER"});
  REQUIRE(result.exit_code == 6);
  REQUIRE(result.out.empty()); // a script reading stdout never mistakes an error body for data
  REQUIRE(result.err.find("error: POST http://127.0.0.1:") != std::string::npos);
  REQUIRE(result.err.find("answered HTTP 400 (Bad Request): is_public is required") != std::string::npos);
  REQUIRE(result.err.find(R"({"message":"is_public is required and must be true or false"})") != std::string::npos);

  // --envelope: one JSON document on stdout, and no second error object after it.
  auto envelope = setup.keap({"api", "-X", "POST", "v1/files", "-F", "file_name=a.txt", "--envelope"});
  REQUIRE(envelope.exit_code == 6);
  auto json = json_of(envelope);
  REQUIRE(json["status"] == 400);
  REQUIRE(json["attempts"] == 1);
  REQUIRE(json["body"]["message"].get<std::string>().find("file_data") != std::string::npos);
}

TEST_CASE("api: an access token that Keap rejects is refreshed once and the call replayed", "[api][refresh]") {
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), 2h);
  setup.emulator.server.state().expire_access_token(seeded.access_token); // valid by the file, dead at Keap
  auto result = setup.keap({"api", "v1/contacts", "-q", "limit=1", "--envelope"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto json = json_of(result);
  REQUIRE(json["status"] == 200);
  REQUIRE(json["attempts"] == 2);
  REQUIRE(json["refreshed"] == true);
  REQUIRE(refresh_grants(setup.emulator) == 1);
  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 2);
  REQUIRE(requests[0].status == 401);
  REQUIRE(requests[1].status == 200);
  REQUIRE(requests[1].credential_header == "Authorization");
  REQUIRE(load_grant(setup.path()).access_token != seeded.access_token);
}

TEST_CASE("api: 16 processes hitting the same 401 cause exactly one refresh", "[api][refresh][stampede]") {
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), 2h);
  setup.emulator.server.state().expire_access_token(seeded.access_token);
  std::vector<std::unique_ptr<Process>> processes;
  for (int i = 0; i < 16; ++i) {
    processes.push_back(setup.start({"api", "v1/contacts", "-q", "limit=1"}));
  }
  for (auto& process : processes) {
    auto result = process->wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(json_of(result)["contacts"].size() == 1);
  }
  REQUIRE(refresh_grants(setup.emulator, 0) == 1);
  REQUIRE(file_mode(setup.path()) == 0600);
}

TEST_CASE("api: a second 401 after the one refresh is exit 4", "[api][refresh]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  setup.emulator.server.rest().add_fault(emulator::ApiFault::unauthorized, 2);
  auto twice = setup.keap({"api", "v1/contacts"});
  REQUIRE(twice.exit_code == 4);
  REQUIRE(twice.err.find("even after a refresh") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator) == 1);
}

TEST_CASE("api: a 403 is exit 6 and never refreshed", "[api][refresh]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  setup.emulator.server.rest().add_fault(emulator::ApiFault::forbidden, 1);
  auto forbidden = setup.keap({"api", "v2/contacts"});
  REQUIRE(forbidden.exit_code == 6);
  REQUIRE(forbidden.err.find("does not have permission") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
  REQUIRE(api_requests(setup).size() == 1);
}

TEST_CASE("api: a key that gets 401 is exit 4 and says which header carried which credential", "[api][keys]") {
  Setup setup;
  store_key(setup, "KeapAK-not-a-key-the-emulator-issued");
  auto result = setup.keap({"api", "v1/contacts"});
  REQUIRE(result.exit_code == 4);
  REQUIRE(result.err.find("Invalid Access Token") != std::string::npos);
  REQUIRE(result.err.find("a Personal Access Token in X-Keap-API-Key") != std::string::npos);
  REQUIRE(result.err.find("not interchangeable") != std::string::npos);
  REQUIRE(result.err.find("KeapAK-not-a-key") == std::string::npos); // never the key itself
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
  REQUIRE(api_requests(setup).size() == 1); // a key is never replayed
}

TEST_CASE("api: v1 pagination over 2,500 contacts with a filter returns exactly the filtered set",
          "[api][pagination]") {
  Setup setup(emulator_settings(), {}, rest_with(2500));
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto result = setup.keap({"api", "v1/contacts", "--paginate", "-q", "family_name=Hopper", "-q", "limit=100"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto document = json_of(result);
  const auto& contacts = document["contacts"];
  REQUIRE(contacts.size() == 500); // ids 1, 6, 11, ... 2496
  std::set<long long> ids;
  for (const auto& contact : contacts) {
    REQUIRE(contact["family_name"] == "Hopper");
    ids.insert(contact["id"].get<long long>());
  }
  REQUIRE(ids.size() == 500);
  REQUIRE_FALSE(document.contains("next")); // one document: the paging members are gone
  REQUIRE_FALSE(document.contains("count"));
  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 6); // five full pages, and the empty one that proves the end
  for (const auto& request : requests) {
    REQUIRE(request.query.find("family_name=Hopper") != std::string::npos); // Keap's `next` would drop it
  }
}

TEST_CASE("api: an access token that nears its end in the middle of a listing is refreshed, and it goes on",
          "[api][pagination][refresh]") {
  Setup setup(emulator_settings(), {}, rest_with(25));
  // Valid for --min-valid and two seconds more; the first page takes three seconds.
  auto seeded = seed_credentials(setup.emulator, setup.path(), 5min + 2s);
  setup.emulator.server.rest().add_fault(emulator::ApiFault::slow, 1);
  auto result = setup.keap({"api", "v1/contacts", "--paginate", "-q", "limit=10", "--min-valid", "5m"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(json_of(result)["contacts"].size() == 25);
  REQUIRE(refresh_grants(setup.emulator) == 1);
  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 3);
  REQUIRE(requests[2].query == "limit=10&offset=20");
  REQUIRE(load_grant(setup.path()).access_token != seeded.access_token);
}

TEST_CASE("api: v2 pagination resends the query with page_token and stops on an empty token", "[api][pagination]") {
  Setup setup(emulator_settings(), {}, rest_with(7));
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto result = setup.keap({"api", "v2/contacts", "--paginate", "-q", "page_size=3"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(json_of(result)["contacts"].size() == 7);
  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 3); // 3 + 3 + 1, and no request after the empty token
  REQUIRE(requests[0].query == "page_size=3");
  REQUIRE(requests[1].query == "page_size=3&page_token=p3");
  REQUIRE(requests[2].query == "page_size=3&page_token=p6");

  auto limited = setup.keap({"api", "v2/contacts", "--paginate", "--items", "-q", "page_size=3", "--max-items", "4"});
  REQUIRE(limited.exit_code == 0);
  REQUIRE(std::count(limited.out.begin(), limited.out.end(), '\n') == 4);
  REQUIRE(limited.err.find("stopped after 4 items (--max-items)") != std::string::npos);
}

TEST_CASE("api: a v2 last page that leaves next_page_token out ends the listing, complete", "[api][pagination]") {
  auto rest = rest_with(7);
  REQUIRE(emulator::apply_api_switch(rest, "last-token-absent"));
  Setup setup(emulator_settings(), {}, rest);
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto result = setup.keap({"api", "v2/contacts", "--paginate", "-q", "page_size=3"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(json_of(result)["contacts"].size() == 7);
  REQUIRE(api_requests(setup).size() == 3);
}

TEST_CASE("api: --items streams 100,000 contacts in constant memory", "[api][pagination][memory]") {
  Setup setup(emulator_settings(), {}, rest_with(100000));
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto result = setup.keap({"api", "v1/contacts", "--paginate", "--items"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(std::count(result.out.begin(), result.out.end(), '\n') == 100000);
  REQUIRE(result.out.starts_with("{\"id\":1,"));
  REQUIRE(api_requests(setup).size() == 101); // 100 full pages and the empty one that ends the listing
#ifndef KEAP_AUTH_SANITIZED                   // the sanitizers' shadow memory is not the program's
  rusage usage{};
  REQUIRE(::getrusage(RUSAGE_CHILDREN, &usage) == 0);
  INFO("peak RSS of the children: " << usage.ru_maxrss << " KiB");
  REQUIRE(usage.ru_maxrss < 32 * 1024);
#endif
}

TEST_CASE("api: a 429 is retried and then succeeds, an exhausted daily quota is exit 7 at once", "[api][rate]") {
  Setup setup(emulator_settings(), {}, rest_with(10, 3));
  seed_credentials(setup.emulator, setup.path(), 2h);
  setup.emulator.server.rest().add_fault(emulator::ApiFault::throttled, 1);
  auto retried = setup.keap({"api", "v1/contacts", "-v"});
  INFO(retried.err);
  REQUIRE(retried.exit_code == 0);
  REQUIRE(retried.err.find("rate limited (HTTP 429); trying again") != std::string::npos);
  REQUIRE(api_requests(setup).size() == 2);
  // Keap's minute throttle in its QuotaViolation shape: the headers say the day is not over, so it is
  // retried like any throttle.
  setup.emulator.server.rest().add_fault(emulator::ApiFault::throttled_quota_body, 1);
  auto throttled = setup.keap({"api", "v1/contacts", "-v"});
  INFO(throttled.err);
  REQUIRE(throttled.exit_code == 0);
  REQUIRE(api_requests(setup).size() == 4);

  REQUIRE(setup.keap({"api", "v1/contacts"}).exit_code == 0); // the third call of the day's 3
  auto before = api_requests(setup).size();
  auto exhausted = setup.keap({"api", "v1/contacts"});
  REQUIRE(exhausted.exit_code == 7);
  REQUIRE(exhausted.err.find("the day's quota is used up; the quota resets at ") != std::string::npos);
  REQUIRE(api_requests(setup).size() == before + 1); // not retried
}

TEST_CASE("api: 502 is retried for a GET, never for a POST unless --retry-unsafe", "[api][retry]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto& rest = setup.emulator.server.rest();
  rest.add_fault(emulator::ApiFault::bad_gateway, 1);
  REQUIRE(setup.keap({"api", "v1/contacts"}).exit_code == 0);
  REQUIRE(api_requests(setup).size() == 2);
  rest.add_fault(emulator::ApiFault::bad_gateway, 1);
  auto post = setup.keap({"api", "-X", "POST", "v1/contacts", "-f", "email_addresses[][email]=ada@example.com"});
  REQUIRE(post.exit_code == 5);
  REQUIRE(post.err.find("is not sent again unless --retry-unsafe") != std::string::npos);
  REQUIRE(api_requests(setup).size() == 3);
  rest.add_fault(emulator::ApiFault::bad_gateway, 1);
  REQUIRE(setup
              .keap({"api", "-X", "POST", "v1/contacts", "-f", "email_addresses[][email]=ada@example.com",
                     "--retry-unsafe"})
              .exit_code == 0);
  REQUIRE(api_requests(setup).size() == 5);
}

TEST_CASE("api: bodies that are not UTF-8, bodies on GET and foreign hosts are refused with nothing sent",
          "[api][refusals]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  Emulator elsewhere; // a second server: the credential must never reach it
  write_file(setup.dir.file("latin1.json"), "{\"given_name\":\"Jos\xe9\"}");
  write_file(setup.dir.file("ada.json"), "{\"given_name\":\"Ada\"}");
  auto latin1_name = setup.dir.file("Jos\xe9.pdf");
  write_file(latin1_name, "%PDF-1.4\n");
  struct Case {
    std::vector<std::string> arguments;
    const char* says;
  };
  std::vector<Case> cases{
      {{"api", "-X", "POST", "v1/contacts", "--input", setup.dir.file("latin1.json")}, "not valid UTF-8 at byte 19"},
      {{"api", "-X", "POST", "v1/contacts", "-F", "given_name=Jos\xe9"}, "not valid UTF-8 (byte 15)"},
      {{"api", "-X", "GET", "v1/contacts", "-f", "given_name=Ada"}, "GET with a body"},
      {{"api", "-X", "DELETE", "v1/contacts/1", "--input", setup.dir.file("ada.json")}, "DELETE with a body"},
      {{"api", elsewhere.server.base_url() + "/crm/rest/v1/contacts"}, "is not on the configured API host"},
      {{"api", "v1/contacts", "-H", "Authorization: Bearer mine"}, "keap-auth sends the credential itself"},
      {{"api", "v1/contacts", "-H", "X-Keap-API-Key: mine"}, "keap-auth sends the credential itself"},
      {{"api", "v1/files", "--upload", setup.dir.file("latin1.json"), "-F", "contact_id=Ada"}, "contact_id must be"},
      {{"api", "v1/files", "--upload", latin1_name}, "the file's name is not UTF-8 (byte 4)"},
      {{"api", "v2/files", "--upload", latin1_name}, "-f file_name=NAME.pdf"},
  };
  for (const auto& refused : cases) {
    auto result = setup.keap(refused.arguments);
    INFO(refused.arguments.back() << "\n" << result.err);
    REQUIRE(result.exit_code == 2);
    REQUIRE(result.err.find(refused.says) != std::string::npos);
  }
  REQUIRE(api_requests(setup).empty());
  REQUIRE(elsewhere.server.rest().requests().empty());
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
}

TEST_CASE("api: a file whose name is not UTF-8 uploads to v1 and v2 once it is named", "[api][files]") {
  Setup setup;
  store_key(setup, setup.emulator.server.rest().personal_access_token());
  auto latin1_name = setup.dir.file("Jos\xe9.pdf");
  write_file(latin1_name, "%PDF-1.4\n");
  for (const char* endpoint : {"v1/files", "v2/files"}) {
    auto result = setup.keap({"api", endpoint, "--upload", latin1_name, "-f", "file_name=Jose.pdf"});
    INFO(endpoint << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.out.find("Jose.pdf") != std::string::npos);
  }
  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 2);
  REQUIRE(requests[0].status / 100 == 2);
  REQUIRE(requests[1].status / 100 == 2);
}

TEST_CASE("api: a 600 KB [[[...]]] answer is printed, enveloped and paginated without a crash", "[api][hostile]") {
  std::string nested = std::string(300 * 1024, '[') + std::string(300 * 1024, ']');
  ScriptedServer api([&nested](int fd, const std::atomic<bool>&) {
    read_request_head(fd);
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(nested.size()) + "\r\nConnection: close\r\n\r\n" + nested);
  });
  Setup setup({}, {{"api_base_url", api.url() + "/crm/rest"}});
  std::map<std::string, std::string> key{{"KEAP_API_KEY", "KeapAK-0123456789abcdef"}};
  for (const auto& arguments : std::vector<std::vector<std::string>>{{"--verbose", "api", "v1/contacts"},
                                                                     {"api", "v1/contacts", "--envelope"},
                                                                     {"api", "v1/contacts", "--paginate"}}) {
    auto result = setup.keap(arguments, key);
    INFO(arguments.front() << " " << arguments.back() << ": " << result.err.substr(0, 2000));
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.out.size() >= nested.size());
  }
  auto terminal = run_on_terminal({keap_auth(), "--config", setup.config, "api", "v1/contacts", "-o", "-"}, key);
  REQUIRE(terminal.exit_code == 0);
}

TEST_CASE("api: a terminal never gets a server's escape sequences, nor a binary body unasked", "[api][hostile]") {
  std::string body;
  ScriptedServer api([&body](int fd, const std::atomic<bool>&) {
    read_request_head(fd);
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n" + body);
  });
  Setup setup({}, {{"api_base_url", api.url() + "/crm/rest"}});
  std::map<std::string, std::string> key{{"KEAP_API_KEY", "KeapAK-0123456789abcdef"}};
  std::vector<std::string> call{keap_auth(), "--config", setup.config, "api", "v1/files/1"};
  body = "<title>\x1b]0;owned\x07"
         "Error</title>\x1b[2J\xc2\x9b"
         "31mplain text";
  auto text = run_on_terminal(call, key);
  INFO(text.out);
  REQUIRE(text.exit_code == 0);
  REQUIRE(text.out.find("plain text") != std::string::npos);
  REQUIRE(text.out.find("owned") != std::string::npos);
  REQUIRE(text.out.find('\x1b') == std::string::npos);
  REQUIRE(text.out.find("\xc2\x9b") == std::string::npos);
  body = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  auto binary = run_on_terminal(call, key);
  REQUIRE(binary.exit_code == 1);
  REQUIRE(binary.out.find("is binary (16 bytes)") != std::string::npos);
  REQUIRE(binary.out.find("IHDR") == std::string::npos);
  auto raw = setup.keap({"api", "v1/files/1", "-o", "-"}, key); // not a terminal: exactly as it came
  REQUIRE(raw.exit_code == 0);
  REQUIRE(raw.out == body);
}

TEST_CASE("api: --dry-run prints a curl command that runs as it is, with no secret in it", "[api][dry-run]") {
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), 2h);
  auto dry = setup.keap({"api", "-X", "POST", "v2/contacts", "-F", "given_name=Ada", "-F",
                         "email_addresses[][email]=ada@example.com", "--dry-run"});
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  REQUIRE(dry.out.find("curl ") != std::string::npos);
  REQUIRE(dry.out.find(seeded.access_token) == std::string::npos);
  REQUIRE(api_requests(setup).empty());       // nothing sent
  auto ran = run({"/bin/sh", "-c", dry.out}); // dash: POSIX sh, no bash needed
  INFO(dry.out << ran.err);
  REQUIRE(ran.exit_code == 0);
  REQUIRE(json_of(ran)["given_name"] == "Ada");
  auto requests = api_requests(setup);
  REQUIRE(requests.size() == 1);
  REQUIRE(requests[0].credential == "oauth");
  REQUIRE(nlohmann::json::parse(requests[0].body) ==
          nlohmann::json::parse(R"({"given_name":"Ada","email_addresses":[{"email":"ada@example.com"}]})"));
}

TEST_CASE("api: output options: -i, --silent, -o and a 204", "[api][output]") {
  Setup setup;
  seed_credentials(setup.emulator, setup.path(), 2h);
  auto included = setup.keap({"api", "v1/contacts/2", "-i"});
  REQUIRE(included.exit_code == 0);
  REQUIRE(included.out.starts_with("HTTP/1.1 200 (OK)\n"));
  REQUIRE(included.out.find("x-keap-product-quota-limit: 150000\n") != std::string::npos);
  REQUIRE(included.out.find("\n\n{\"id\":2,") != std::string::npos);
  REQUIRE(setup.keap({"api", "v1/contacts/2", "--silent"}).out.empty());
  auto file = setup.dir.file("contact.json");
  auto written = setup.keap({"api", "v1/contacts/2", "-o", file});
  REQUIRE(written.exit_code == 0);
  REQUIRE(written.out.empty());
  REQUIRE(nlohmann::json::parse(read_file(file))["id"] == 2);
  auto deleted = setup.keap({"api", "-X", "DELETE", "v1/contacts/2"});
  REQUIRE(deleted.exit_code == 0);
  REQUIRE(deleted.out.empty());
  auto gone = setup.keap({"api", "v1/contacts/2"});
  REQUIRE(gone.exit_code == 6);
  REQUIRE(gone.err.find("Unable to find this Contact") != std::string::npos);
  auto unknown = setup.keap({"api", "v1/no-such-thing"});
  REQUIRE(unknown.exit_code == 6);
  REQUIRE(unknown.err.find("404 (Not Found): Keap - Page Not Found") != std::string::npos);
}

TEST_CASE("api: rate limits are remembered for status (0600, no secret) with one warning when low",
          "[api][rate][status]") {
  Setup setup(emulator_settings(), {}, rest_with(10, 40));
  auto seeded = seed_credentials(setup.emulator, setup.path(), 2h);
  REQUIRE(setup.keap({"api", "v1/contacts"}).exit_code == 0);
  auto remembered = setup.dir.file("keap-credentials.json.rate-limits");
  REQUIRE(file_mode(remembered) == 0600);
  REQUIRE(read_file(remembered).find(seeded.access_token) == std::string::npos);
  auto status = setup.keap({"status"});
  REQUIRE(status.out.find("rate limits: quota 39 of 40 left (day, resets at ") != std::string::npos);
  REQUIRE(json_of(setup.keap({"status", "--json"}))["rate_limits"]["windows"][0]["available"] == 39);
  int warnings = 0;
  for (int call = 0; call < 3; ++call) { // 38 left, then 37, 36... only under 5% (2 of 40) warns
    warnings += setup.keap({"api", "v1/contacts"}).err.find("nearly used up") != std::string::npos;
  }
  REQUIRE(warnings == 0);
  for (int call = 0; call < 36; ++call) {
    warnings += setup.keap({"api", "v1/contacts"}).err.find("nearly used up") != std::string::npos;
  }
  REQUIRE(warnings == 1);
}

TEST_CASE("keys: login --api-key - stores a key from stdin, and status, refresh, token and whoami know it", "[keys]") {
  Setup setup;
  const auto& key = setup.emulator.server.rest().service_account_key();
  auto stored = setup.keap_with_input({"login", "--api-key", "-", "--key-kind", "sak"}, key + "\n");
  INFO(stored.err);
  REQUIRE(stored.exit_code == 0);
  REQUIRE(file_mode(setup.path()) == 0600);
  REQUIRE(stored.err.find(key) == std::string::npos);
  auto status = setup.keap({"status", "--json"});
  REQUIRE(status.exit_code == 0);
  auto json = json_of(status);
  REQUIRE(json["kind"] == "api_key");
  REQUIRE(json["key_kind"] == "sak");
  REQUIRE(json["usable"] == true);
  REQUIRE(json["access_token_expires_at"].is_null());
  REQUIRE(setup.keap({"status"}).out.find("a Service Account Key, sent in X-Keap-API-Key; it does not expire") !=
          std::string::npos);
  auto refresh = setup.keap({"refresh"});
  REQUIRE(refresh.exit_code == 0);
  REQUIRE(refresh.err.find("nothing to refresh") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
  REQUIRE(setup.keap({"token"}).out == key + "\n");
  REQUIRE(setup.keap({"token", "--header"}).out == "X-Keap-API-Key: " + key + "\n");
  REQUIRE(setup.keap({"token", "--header", "--min-valid", "1h"}).out == "X-Keap-API-Key: " + key + "\n");
  auto whoami = setup.keap({"whoami"});
  REQUIRE(whoami.exit_code == 6);
  REQUIRE(whoami.err.find("did not answer for a Service Account Key (HTTP 401)") != std::string::npos);
  REQUIRE(whoami.err.find("keap-auth api v1/account/profile") != std::string::npos);
  auto profile = setup.keap({"api", "v1/account/profile"});
  REQUIRE(profile.exit_code == 0);
  REQUIRE(api_requests(setup).back().credential == "sak");
}

TEST_CASE("keys: whoami answers for a key where Keap does", "[keys]") {
  emulator::RestSettings rest;
  rest.keys_on_userinfo = true;
  Setup setup(emulator_settings(), {}, rest);
  store_key(setup, setup.emulator.server.rest().personal_access_token());
  auto whoami = setup.keap({"whoami"});
  INFO(whoami.err);
  REQUIRE(whoami.exit_code == 0);
  REQUIRE(whoami.out == "Ada <ada@example.com>, Keap app ab123\n");
}

TEST_CASE("keys: bad keys, legacy keys, keys in argv and a grant in the way", "[keys]") {
  Setup setup;
  auto in_argv = setup.keap({"login", "--api-key", "KeapAK-1234567890abcdef"});
  REQUIRE(in_argv.exit_code == 2);
  REQUIRE(in_argv.err.find("KeapAK-1234567890abcdef") == std::string::npos); // never echoed
  REQUIRE(setup.keap_with_input({"login", "--api-key", "-"}, "").exit_code == 2);
  REQUIRE(setup.keap_with_input({"login", "--api-key", "-"}, "two words\n").exit_code == 2);
  REQUIRE(setup.keap_with_input({"login", "--api-key", "-"}, "short\n").exit_code == 2);
  REQUIRE_FALSE(file_exists(setup.path()));
  auto legacy = setup.keap_with_input({"login", "--api-key", "-"}, "0123456789abcdef0123456789abcdef\n");
  REQUIRE(legacy.exit_code == 0);
  REQUIRE(legacy.err.find("legacy API key, which Keap is retiring") != std::string::npos);

  auto grant = seed_credentials(setup.emulator, setup.path(), 2h);
  auto before = read_file(setup.path());
  auto refused = setup.keap_with_input({"login", "--api-key", "-"}, "KeapAK-abcdefghijklmnop\n");
  REQUIRE(refused.exit_code == 2);
  REQUIRE(refused.err.find("holds an OAuth grant") != std::string::npos);
  REQUIRE(read_file(setup.path()) == before);
  auto forced = setup.keap_with_input({"login", "--api-key", "-", "--force"}, "KeapAK-abcdefghijklmnop\n");
  INFO(forced.err);
  REQUIRE(forced.exit_code == 0);
  auto kept = forced.err.substr(forced.err.find("it was kept (0600) in ") + 22);
  kept = kept.substr(0, kept.find(' '));
  REQUIRE(load_grant(kept).refresh_token == grant.refresh_token); // nothing lost
  REQUIRE(file_mode(kept) == 0600);
}

TEST_CASE("keys: KEAP_API_KEY is used without being stored", "[keys]") {
  Setup setup;
  const auto& key = setup.emulator.server.rest().personal_access_token();
  auto result = setup.keap({"api", "v1/contacts", "-q", "limit=1"}, {{"KEAP_API_KEY", key}});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(api_requests(setup).back().credential == "pat");
  REQUIRE_FALSE(file_exists(setup.path()));
  REQUIRE(setup.keap({"token"}, {{"KEAP_API_KEY", key}}).out == key + "\n");
}

TEST_CASE("token --rejected: the store's newer token, else one refresh under the lock", "[token][rejected]") {
  Setup setup;
  auto seeded = seed_credentials(setup.emulator, setup.path(), 2h);
  auto replaced = setup.keap_with_input({"token", "--rejected", "-"}, seeded.access_token + "\n");
  INFO(replaced.err);
  REQUIRE(replaced.exit_code == 0);
  auto fresh = load_grant(setup.path()).access_token;
  REQUIRE(fresh != seeded.access_token);
  REQUIRE(replaced.out == fresh + "\n");
  REQUIRE(refresh_grants(setup.emulator) == 1);
  // Another service still holding the old token: it gets the stored one, and no second refresh.
  auto again = setup.keap_with_input({"token", "--rejected", "-"}, seeded.access_token + "\n");
  REQUIRE(again.out == fresh + "\n");
  REQUIRE(refresh_grants(setup.emulator, 0) == 1);
  REQUIRE(
      setup.keap_with_input({"token", "--rejected", "-", "--header"}, fresh).out.starts_with("Authorization: Bearer "));
  REQUIRE(refresh_grants(setup.emulator, 0) == 2);
}

TEST_CASE("secrets on argv: --rejected TOKEN and --finish ADDRESS are refused unseen, and - reads them", "[secrets]") {
  Setup setup({}, {{"redirect_uri", "http://localhost:8765/callback"}});
  auto seeded = seed_credentials(setup.emulator, setup.path(), 2h);
  for (const auto& arguments : std::vector<std::vector<std::string>>{
           {"token", "--rejected", seeded.access_token},
           {"login", "--finish", "http://localhost:8765/callback?code=secret-code-1&state=x"},
           {"login", "--api-key", "KeapAK-secret-key-1"}}) {
    auto refused = setup.keap(arguments);
    INFO(refused.err);
    REQUIRE(refused.exit_code == 2);
    REQUIRE(refused.err.find("takes only -") != std::string::npos);
    REQUIRE(refused.err.find(arguments.back()) == std::string::npos); // never echoed
    REQUIRE(refused.err.find("secret-") == std::string::npos);
  }
  auto begun = setup.keap({"login", "--begin"});
  REQUIRE(begun.err.find("keap-auth login --finish -") != std::string::npos); // the hint gives the stdin form
  REQUIRE(setup.keap({"status"}).out.find("--finish -") != std::string::npos);
  REQUIRE(refresh_grants(setup.emulator, 0) == 0);
}

TEST_CASE("emulator: the command it prints for storing a key works as printed, and api then calls the emulator",
          "[api][emulator]") {
  TempDir dir;
  Process emulator({keap_auth(), "emulator", "--port", "0", "--write-config", dir.file("keap-auth.json")});
  REQUIRE(emulator.wait_for_err("press Ctrl-C", 10s));
  auto err = emulator.err();
  auto at = err.find("(store it with `");
  REQUIRE(at != std::string::npos);
  auto command = err.substr(at + 16, err.find("`)", at) - at - 16);
  REQUIRE(command.starts_with("keap-auth --config " + dir.file("keap-auth.json") + " login --api-key-file "));
  command.replace(0, 9, keap_auth());
  auto stored = run({"/bin/sh", "-c", command});
  INFO(stored.err);
  REQUIRE(stored.exit_code == 0);
  auto called = run({keap_auth(), "--config", dir.file("keap-auth.json"), "api", "v1/contacts", "-q", "limit=1"});
  INFO(called.err);
  REQUIRE(called.exit_code == 0);
  REQUIRE(called.out.find("\"contacts\"") != std::string::npos);
}

TEST_CASE("emulator: --log-requests shows what Keap would have seen, and never a credential", "[api][emulator]") {
  TempDir dir;
  Process emulator(
      {keap_auth(), "emulator", "--port", "0", "--log-requests", "--write-config", dir.file("keap-auth.json")});
  REQUIRE(emulator.wait_for_err("press Ctrl-C", 10s));
  auto key = read_file(dir.file("keap-emulator-pat.txt"));
  key.pop_back();
  write_file(dir.file("note.txt"), "hello\n");
  auto config = dir.file("keap-auth.json");
  REQUIRE(run({keap_auth(), "--config", config, "api", "v1/files", "--upload", dir.file("note.txt")},
              {{"KEAP_API_KEY", key}})
              .exit_code == 0);
  REQUIRE(emulator.wait_for_err("request: POST /crm/rest/v1/files", 10s));
  auto err = emulator.err();
  auto line = err.substr(err.find("request: POST /crm/rest/v1/files"));
  line = line.substr(0, line.find('\n'));
  INFO(line);
  REQUIRE(line.find("(Content-Type: application/json)") != std::string::npos);
  REQUIRE(line.find("(Content-Length: ") != std::string::npos);
  REQUIRE(line.find("(X-Keap-API-Key: [redacted])") != std::string::npos);
  REQUIRE(err.find(key) == std::string::npos);
}
