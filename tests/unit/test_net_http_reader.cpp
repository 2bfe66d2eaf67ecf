// The readers under the agent, the receiver and the client take HTTP in whatever pieces the network
// gives. These splits are legal; each once stopped a build with assertions on (Beast 1.74's chunk parser).
#include "net/http_client.hpp"
#include "net/http_reader.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace keap::net;

namespace {

/// Feeds `pieces` one after the other, each appended to what the reader left, as a socket would.
template <class Reader> auto feed_pieces(Reader& reader, const std::vector<std::string>& pieces) {
  std::string buffered;
  auto progress = Reader::Progress::more;
  for (const auto& piece : pieces) {
    buffered += piece;
    progress = reader.feed(buffered);
    if (progress != Reader::Progress::more) {
      break;
    }
  }
  return progress;
}

std::vector<std::string> one_byte_each(const std::string& text) {
  std::vector<std::string> pieces;
  for (char c : text) {
    pieces.emplace_back(1, c);
  }
  return pieces;
}

} // namespace

TEST_CASE("a chunked request whose last chunk comes in three pieces (0 CR LF, CR, LF) is read whole", "[net]") {
  ServerLimits limits;
  RequestReader reader(limits);
  auto progress =
      feed_pieces(reader, {"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n", "\r", "\n"});
  REQUIRE(progress == RequestReader::Progress::complete);
  auto request = reader.take();
  CHECK(request.method == "POST");
  CHECK(request.body.empty());
}

TEST_CASE("a chunked request sent one byte at a time keeps its body", "[net]") {
  ServerLimits limits;
  RequestReader reader(limits);
  auto progress = feed_pieces(
      reader,
      one_byte_each("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  REQUIRE(progress == RequestReader::Progress::complete);
  CHECK(reader.take().body == "hello");
}

TEST_CASE("a chunked response whose last chunk comes in three pieces (0 CR LF, CR, LF) is read whole", "[net]") {
  ResponseReader reader(ResponseReader::Limits{}, false);
  auto progress = feed_pieces(reader, {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n", "\r", "\n"});
  REQUIRE(progress == ResponseReader::Progress::complete);
  auto response = reader.take();
  CHECK(response.status == 200);
  CHECK(response.body.empty());
}

TEST_CASE("a chunked response sent one byte at a time keeps its body", "[net]") {
  ResponseReader reader(ResponseReader::Limits{}, false);
  auto progress = feed_pieces(
      reader, one_byte_each("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  REQUIRE(progress == ResponseReader::Progress::complete);
  CHECK(reader.take().body == "abcde");
}
