#include "controller/first-run.h"

#include <glib/gi18n.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "controller/controller.h"

namespace estuary {

namespace {

bool ask(const char *question, std::string &answer, bool hidden) {
  // Echo goes off before the prompt shows, or a password typed (or pasted) right after it could
  // still be echoed.
  termios saved{};
  bool restore = hidden && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::cout << question << std::flush;
  bool ok = static_cast<bool>(std::getline(std::cin, answer));
  if (restore) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cout << std::endl;
  }
  return ok;
}

}  // namespace

void enable_default_protocols(Controller &ctl) {
  JsonArray *protocols = ctl.config.protocols();
  JsonObject *connectors = ctl.connectors();
  GList *names = json_object_get_members(connectors);
  for (GList *l = names; l; l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    bool present = false;
    for (guint i = 0; i < json_array_get_length(protocols) && !present; i++) {
      JsonNode *el = json_array_get_element(protocols, i);
      present = JSON_NODE_HOLDS_OBJECT(el) &&
                g_strcmp0(json_string_or(json_node_get_object(el), "connector", ""), name) == 0;
    }
    if (present) continue;
    JsonObject *entry = json_object_new();
    json_object_set_string_member(entry, "connector", name);
    json_array_add_object_element(protocols, entry);
  }
  g_list_free(names);
}

void add_demo_stream(Controller &ctl) {
  static const char kDemoSource[] =
      "gst:videotestsrc is-live=true pattern=smpte ! video/x-raw,width=640,height=360,framerate=30/1 "
      "! timeoverlay ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=60 option-string=scenecut=0 bitrate=1000 "
      "! h264parse ! mux. audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert "
      "! avenc_aac ! aacparse ! mux. mpegtsmux name=mux";
  JsonObject *demo = json_object_new();
  json_object_set_string_member(demo, "name", "demo");
  json_object_set_string_member(demo, "source", kDemoSource);
  json_object_set_boolean_member(demo, "always_on", TRUE);
  json_object_set_object_member(ctl.config.streams(), "demo", demo);
}

bool first_run_setup(Controller &ctl) {
  std::cout << _("No account exists yet: let's create the first one.") << std::endl;
  std::string user, pass, again, yes;
  while (user.empty()) {
    if (!ask(_("User name: "), user, false)) return false;
  }
  for (;;) {
    if (!ask(_("Password: "), pass, true)) return false;
    if (pass.empty()) continue;
    if (!ask(_("Password again: "), again, true)) return false;
    if (pass == again) break;
    std::cout << _("The passwords differ, try again.") << std::endl;
  }
  ctl.auth.create_first_account(user.c_str(), pass.c_str());
  if (!ask(_("Enable the default protocols (HTTP 8080, RTMP 1935, RTSP 5554, ...)? [Y/n] "), yes, false))
    return true;
  if (yes.empty() || yes[0] == 'y' || yes[0] == 'Y') enable_default_protocols(ctl);
  return true;
}

}  // namespace estuary
