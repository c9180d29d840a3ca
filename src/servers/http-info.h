// The HTTP output info handler (manual 4.3): /json_NAME.js, /info_NAME.js, /embed_NAME.js,
// /NAME.html, plus /crossdomain.xml and the player files (/player.js, /hls.min.js) compiled in
// as GResources under /org/estuary/player/.
//
// Templates (embed.js, stream.html) get {{STREAM}} and {{HOST}} substituted: JavaScript-escaped
// in .js, HTML-escaped in .html. A resource that is not compiled in answers 404.
//
// HTTP thread only.
#pragma once

#include "servers/http-exchange.h"
#include "servers/http-routes.h"

namespace estuary::info_handler {

// `route` is kInfoJson, kInfoJs, kEmbedJs, kHtml, kCrossdomain or kResource.
void serve(HttpServerState &state, const http::Exchange &ex, const HttpRoute &route);

// Replaces every "{{STREAM}}" and "{{HOST}}" in `text`. Pure; exposed for tests.
std::string fill_template(const std::string &text, const std::string &stream,
                          const std::string &host);

}  // namespace estuary::info_handler
