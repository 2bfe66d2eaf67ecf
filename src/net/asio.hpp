#pragma once

// Boost.Asio and Boost.Beast for net/'s own sources, never its headers: nothing outside net/ sees
// which library carries the bytes. Compiled once (asio_sources.cpp) rather than in every file that
// includes them.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace keap::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

template <class Stream> inline constexpr bool is_tls_stream = false;
template <> inline constexpr bool is_tls_stream<beast::ssl_stream<beast::tcp_stream>> = true;

} // namespace keap::net
