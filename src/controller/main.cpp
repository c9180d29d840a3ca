// estuary: the daemon. Flags follow MistServer's controller.
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <gst/gst.h>
#include <unistd.h>

#include <csignal>
#include <clocale>
#include <cstdio>
#include <string>

#include "controller/api-server.h"
#include "controller/controller.h"
#include "controller/first-run.h"
#include "controller/log.h"
#include "controller/udp-api.h"
#include "estuary-config.h"

namespace {

using estuary::GCharPtr;

struct Options {
  gchar *config = nullptr;
  gint port = -1;
  gchar *interface = nullptr;
  gint debug = -1;
  gchar *prometheus = nullptr;
  gboolean version = FALSE;
};

GMainLoop *main_loop = nullptr;

gboolean on_stop_signal(gpointer) {
  GST_CAT_WARNING(estuary::log::cat_main, "stopping on signal; a second one exits at once");
  // Whatever comes next is not handled by us any more: the default action ends the process.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  g_main_loop_quit(main_loop);
  return G_SOURCE_REMOVE;
}

gboolean on_stats_tick(gpointer data) {
  auto *ctl = static_cast<estuary::Controller *>(data);
  ctl->sessions.sample(g_get_real_time() / G_USEC_PER_SEC);
  ctl->media.tick();
  return G_SOURCE_CONTINUE;
}

// Sets `name` in the controller section when the flag was given.
void store_int(estuary::Controller &ctl, const char *name, gint value) {
  if (value >= 0) json_object_set_int_member(ctl.config.controller(), name, value);
}

int usage_error(GOptionContext *context, const char *what) {
  GCharPtr help(g_option_context_get_help(context, TRUE, nullptr));
  fprintf(stderr, "estuary: %s\n\n%s", what, help.get());
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  setlocale(LC_ALL, "");
  bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);

  Options opt;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt.config,
       N_("Configuration file (default: config.json in the working directory)"), N_("FILE")},
      {"port", 'p', 0, G_OPTION_ARG_INT, &opt.port, N_("API and web panel port (default 4242)"), N_("PORT")},
      {"interface", 'i', 0, G_OPTION_ARG_STRING, &opt.interface,
       N_("Interface address to listen on (default 0.0.0.0)"), N_("ADDRESS")},
      {"debug", 'd', 0, G_OPTION_ARG_INT, &opt.debug, N_("Debug level 0..10 (default 3)"), N_("LEVEL")},
      {"prometheus", 0, 0, G_OPTION_ARG_STRING, &opt.prometheus,
       N_("Passphrase for Prometheus metrics, stored in the configuration"), N_("PASS")},
      {"version", 0, 0, G_OPTION_ARG_NONE, &opt.version, N_("Print the version and exit"), nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *context = g_option_context_new(nullptr);
  g_option_context_set_summary(context, _("Estuary streaming media server: controller and API."));
  g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
  GError *error = nullptr;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    int rc = usage_error(context, error->message);
    g_error_free(error);
    return rc;
  }
  if (argc > 1) return usage_error(context, _("unexpected argument"));
  if (opt.port > 65535) return usage_error(context, _("--port must be 0..65535"));
  if (opt.debug > 10) return usage_error(context, _("--debug must be 0..10"));
  if (opt.version) {
    printf("estuary %s\n", ESTUARY_VERSION);
    return 0;
  }
  g_option_context_free(context);

  gst_init(nullptr, nullptr);
  estuary::log::init(opt.debug >= 0 ? opt.debug : estuary::log::kDefaultLevel);

  estuary::Controller ctl;
  std::string config_path = opt.config ? opt.config : "config.json";
  if (!ctl.config.load(config_path, &error)) {
    fprintf(stderr, _("estuary: the configuration file cannot be used: %s\n"), error->message);
    fprintf(stderr, _("estuary: not starting; %s was left untouched.\n"), config_path.c_str());
    g_error_free(error);
    return 1;
  }
  store_int(ctl, "port", opt.port);
  store_int(ctl, "debug", opt.debug);
  if (opt.interface) json_object_set_string_member(ctl.config.controller(), "interface", opt.interface);
  if (opt.prometheus) json_object_set_string_member(ctl.config.config(), "prometheus", opt.prometheus);
  bool fresh = !ctl.config.existed();
  if (fresh) estuary::add_demo_stream(ctl);
  if (!ctl.auth.has_accounts() && isatty(STDIN_FILENO)) {
    estuary::first_run_setup(ctl);  // asks about the default protocols too
  } else if (fresh) {
    estuary::enable_default_protocols(ctl);
  }
  ctl.apply_config();

  main_loop = g_main_loop_new(nullptr, FALSE);
  estuary::ApiServer api(ctl);
  std::string interface = estuary::json_string_or(ctl.config.controller(), "interface", "0.0.0.0");
  gint64 port = estuary::json_int_or(ctl.config.controller(), "port", 4242);
  if (port < 0 || port > 65535 || !api.listen(interface, static_cast<guint16>(port), &error)) {
    fprintf(stderr, "estuary: %s\n", error ? error->message : "the API port must be 0..65535");
    g_clear_error(&error);
    return 1;
  }
  estuary::UdpApi udp(ctl);
  if (!udp.listen(api.port(), &error)) {
    GST_CAT_WARNING(estuary::log::cat_main, "%s", error->message);
    g_clear_error(&error);
  }
  printf("estuary %s: API and web panel on http://%s:%u/\n", ESTUARY_VERSION, interface.c_str(), api.port());
  fflush(stdout);
  GST_CAT_INFO(estuary::log::cat_main, "started, API on %s:%u", interface.c_str(), api.port());

  g_unix_signal_add(SIGINT, on_stop_signal, nullptr);
  g_unix_signal_add(SIGTERM, on_stop_signal, nullptr);
  g_timeout_add_seconds(1, on_stats_tick, &ctl);
  g_main_loop_run(main_loop);

  ctl.protocols.stop_all();
  ctl.media.stop_all();
  int rc = 0;
  if (!ctl.save(&error)) {
    fprintf(stderr, "estuary: %s\n", error->message);
    g_error_free(error);
    rc = 1;
  }
  g_main_loop_unref(main_loop);
  return rc;
}
