#include "pipelines/input-network.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-parse.h"
#include "protocols/mpegts/tsudp-url.h"

namespace estuary {

namespace {

GstElement *make(const char *factory, GError **error) {
  GstElement *e = gst_element_factory_make(factory, nullptr);
  if (!e) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "GStreamer element '%s' is not installed", factory);
  }
  return e;
}

// A bin with `src` (floating, transfer full) and the parse chain behind it. Transfer full
// (floating), or nullptr with `error`.
GstElement *source_bin(GstElement *src, std::string_view stream_name, const InputDescriptor &input,
                       const std::string &what, GError **error) {
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  gst_bin_add(GST_BIN(bin.get()), src);
  GRef<GstPad> pad = GRef<GstPad>::adopt(gst_element_get_static_pad(src, "src"));
  if (!input_parse_attach(GST_BIN(bin.get()), pad.get(), error)) return nullptr;
  GST_INFO("stream %.*s: %s input from %s", static_cast<int>(stream_name.size()),
           stream_name.data(), input.name.c_str(), what.c_str());
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

// The name of the local interface that has address `ip`, or `ip` itself when none has (it may
// already be a name such as "eth0"): udpsrc joins multicast groups by interface name.
std::string interface_name(const std::string &ip) {
  GRef<GInetAddress> wanted = GRef<GInetAddress>::adopt(g_inet_address_new_from_string(ip.c_str()));
  if (!wanted) return ip;
  ifaddrs *all = nullptr;
  if (getifaddrs(&all) != 0) return ip;
  std::string name = ip;
  for (ifaddrs *i = all; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
      continue;
    gsize len = i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    GRef<GSocketAddress> sa =
        GRef<GSocketAddress>::adopt(g_socket_address_new_from_native(i->ifa_addr, len));
    if (sa && G_IS_INET_SOCKET_ADDRESS(sa.get()) &&
        g_inet_address_equal(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa.get())),
                             wanted.get())) {
      name = i->ifa_name;
      break;
    }
  }
  freeifaddrs(all);
  return name;
}

bool has_prefix_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         g_ascii_strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// hlsdemux exposes one pad per rendition once it has read the playlist; each gets its own parse
// chain. From a streaming thread.
void on_hls_pad(GstElement *demux, GstPad *pad, gpointer bin) {
  GError *error = nullptr;
  if (!input_parse_attach(GST_BIN(bin), pad, &error)) {
    GST_WARNING("HLS rendition %s: %s", GST_PAD_NAME(pad), error->message);
    g_error_free(error);
    return;
  }
  GRef<GstPad> peer = GRef<GstPad>::adopt(gst_pad_get_peer(pad));
  GRef<GstElement> parser =
      GRef<GstElement>::adopt(peer ? gst_pad_get_parent_element(peer.get()) : nullptr);
  if (parser) gst_element_sync_state_with_parent(parser.get());
}

}  // namespace

GstElement *input_srt_build(const InputDescriptor &input, std::string_view source,
                            std::string_view stream_name, GError **error) {
  if (!has_prefix_nocase(source, "srt://") || source.size() <= 6) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID, "'%.*s' is not an srt:// URL",
                static_cast<int>(source.size()), source.data());
    return nullptr;
  }
  GstElement *src = make("srtsrc", error);
  if (!src) return nullptr;
  // The streamid goes to its own property: in a URI its usual "#!::" form would start the
  // fragment and be lost. Other query options are srtsrc's own.
  std::string uri(source.substr(0, source.find('?')));
  std::string query = source.find('?') == std::string_view::npos
                          ? std::string()
                          : std::string(source.substr(source.find('?') + 1));
  std::string kept;
  GCharPtr streamid;
  GStrvPtr params(g_strsplit(query.c_str(), "&", -1));
  for (gchar **p = params.get(); *p; p++) {
    if (g_str_has_prefix(*p, "streamid=")) {
      streamid.reset(g_uri_unescape_string(*p + strlen("streamid="), nullptr));
    } else if (**p) {
      kept += (kept.empty() ? "?" : "&") + std::string(*p);
    }
  }
  // Setting the URI resets the other options: it goes first.
  g_object_set(src, "uri", (uri + kept).c_str(), nullptr);
  if (streamid) g_object_set(src, "streamid", streamid.get(), nullptr);
  // srtsrc retries a refused or lost connection in a tight loop; failing the stream instead lets
  // the stream manager's always_on retry pace it.
  g_object_set(src, "auto-reconnect", FALSE, nullptr);
  // The URI's host decides the mode (caller with a host, listener without); a caller that cannot
  // connect fails the stream rather than waiting.
  g_object_set(src, "wait-for-connection", FALSE, nullptr);
  // Log the address without the query: it may hold a passphrase.
  return source_bin(src, stream_name, input, uri, error);
}

GstElement *input_tsudp_build(const InputDescriptor &input, std::string_view source,
                              std::string_view stream_name, GError **error) {
  std::optional<TsUdpUrl> url = parse_tsudp_url(source);
  if (!url) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID,
                "'%.*s' is not tsudp://[host]:port[/interface,...]",
                static_cast<int>(source.size()), source.data());
    return nullptr;
  }
  GstElement *src = make("udpsrc", error);
  if (!src) return nullptr;
  std::string address = url->host.empty() ? "0.0.0.0" : url->host;
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(
      gst_caps_from_string("video/mpegts, systemstream=(boolean)true, packetsize=(int)188"));
  g_object_set(src, "address", address.c_str(), "port", url->port, "caps", caps.get(),
               "buffer-size", 4 * 1024 * 1024, "reuse", TRUE, nullptr);
  if (url->multicast() && !url->interfaces.empty()) {
    std::string names;
    for (const std::string &i : url->interfaces)
      names += (names.empty() ? "" : ",") + interface_name(i);
    g_object_set(src, "multicast-iface", names.c_str(), nullptr);
  }
  return source_bin(
      src, stream_name, input,
      address + ":" + std::to_string(url->port) + (url->multicast() ? " (multicast)" : ""), error);
}

GstElement *input_httpts_build(const InputDescriptor &input, std::string_view source,
                               std::string_view stream_name, GError **error) {
  GstElement *src = make("souphttpsrc", error);
  if (!src) return nullptr;
  std::string location(source);
  g_object_set(src, "location", location.c_str(), "is-live", TRUE, nullptr);
  return source_bin(src, stream_name, input, location, error);
}

GstElement *input_hls_build(const InputDescriptor &input, std::string_view source,
                            std::string_view stream_name, GError **error) {
  std::string location(source);
  const bool local = !location.empty() && location[0] == '/';
  GRef<GstElement> src = GRef<GstElement>::adopt(make(local ? "filesrc" : "souphttpsrc", error));
  if (!src) return nullptr;
  if (local && !g_file_test(location.c_str(), G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_NOT_FOUND, "playlist %s does not exist",
                location.c_str());
    return nullptr;
  }
  g_object_set(src.get(), "location", location.c_str(), nullptr);
  // The classic hlsdemux, not hlsdemux2: it works behind any source element (it asks upstream
  // for the playlist's URI) and hands out the TS segments for our own parse chain.
  GRef<GstElement> demux = GRef<GstElement>::adopt(make("hlsdemux", error));
  if (!demux) return nullptr;
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  gst_bin_add_many(GST_BIN(bin.get()), GST_ELEMENT(gst_object_ref(src.get())),
                   GST_ELEMENT(gst_object_ref(demux.get())), nullptr);
  if (!gst_element_link(src.get(), demux.get())) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED, "cannot link to hlsdemux");
    return nullptr;
  }
  g_signal_connect(demux.get(), "pad-added", G_CALLBACK(on_hls_pad), bin.get());
  GST_INFO("stream %.*s: %s input from %s", static_cast<int>(stream_name.size()),
           stream_name.data(), input.name.c_str(), location.c_str());
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

}  // namespace estuary
