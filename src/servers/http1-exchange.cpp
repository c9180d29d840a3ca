// HttpExchange: the request accessors and the answer calls, forwarded to the connection.
#include <strings.h>

#include "protocols/http/request-head.h"
#include "servers/http1-connection.h"

namespace estuary {

const std::string *HttpExchange::header(std::string_view name) const {
  for (const auto &h : headers_)
    if (h.first.size() == name.size() && g_ascii_strncasecmp(h.first.data(), name.data(), name.size()) == 0)
      return &h.second;
  return nullptr;
}

const std::string *HttpExchange::query(std::string_view name) const {
  if (!query_decoded_) {
    decoded_query_ = http::decode_form(query_);
    query_decoded_ = true;
  }
  for (const auto &kv : decoded_query_)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

GSocketAddress *HttpExchange::remote_address() const {
  auto c = connection_.lock();
  return c ? c->remote_address() : nullptr;
}

GSocketAddress *HttpExchange::local_address() const {
  auto c = connection_.lock();
  return c ? c->local_address() : nullptr;
}

std::string HttpExchange::remote_host() const {
  auto c = connection_.lock();
  return c ? c->remote_host() : std::string();
}

bool HttpExchange::alive() const {
  auto c = connection_.lock();
  return c && c->exchange_alive(*this);
}

void HttpExchange::on_gone(std::function<void()> gone) {
  if (!answered_) gone_ = std::move(gone);
}

void HttpExchange::add_header(std::string name, std::string value) {
  if (response_headers_.empty()) response_headers_.reserve(8);
  response_headers_.emplace_back(std::move(name), std::move(value));
}

void HttpExchange::respond(guint status, std::string_view content_type, std::string_view body) {
  auto c = connection_.lock();
  if (!c) return;
  Http1Body b;
  b.text = body;
  c->answer(*this, status, content_type, std::move(b));
}

void HttpExchange::respond_bytes(guint status, std::string_view content_type, GBytes *body) {
  auto c = connection_.lock();
  if (!c) return;
  Http1Body b;
  b.bytes = body;
  if (!body) b.text = std::string_view();
  c->answer(*this, status, content_type, std::move(b));
}

void HttpExchange::respond_fd(guint status, std::string_view content_type, int fd, guint64 offset,
                              guint64 length, std::shared_ptr<void> keep) {
  auto c = connection_.lock();
  if (!c) return;
  Http1Body b;
  b.fd = fd;
  b.offset = offset;
  b.length = length;
  b.keep = std::move(keep);
  c->answer(*this, status, content_type, std::move(b));
}

void HttpExchange::steal(Taken taken) {
  auto c = connection_.lock();
  if (!c) {
    if (taken) taken(nullptr);
    return;
  }
  c->steal(*this, std::move(taken));
}

GRef<GSocket> HttpExchange::steal() {
  auto c = connection_.lock();
  if (!c) return nullptr;
  return c->steal(*this);
}

std::shared_ptr<void> &HttpExchange::connection_slot() {
  auto c = connection_.lock();
  if (c) return c->slot();
  // The connection is gone: a slot nobody else sees.
  static thread_local std::shared_ptr<void> orphan;
  orphan.reset();
  return orphan;
}

}  // namespace estuary
