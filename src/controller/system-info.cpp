#include "controller/system-info.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace estuary {

namespace {

struct Cpu {
  std::string model;
  double mhz = 0;
  int cores = 0;
  int threads = 0;
};

void add_cpus(JsonObject *answer) {
  std::ifstream in("/proc/cpuinfo");
  std::map<std::string, Cpu> sockets;  // physical id -> cpu
  std::string line, socket = "0", model;
  double mhz = 0;
  int cores = 1;
  auto value = [](const std::string &l) {
    size_t colon = l.find(':');
    return colon == std::string::npos ? std::string() : l.substr(colon + 2 <= l.size() ? colon + 2 : l.size());
  };
  auto flush = [&]() {
    if (model.empty() && mhz == 0) return;
    Cpu &c = sockets[socket];
    c.model = model;
    c.mhz = mhz;
    c.cores = cores;
    c.threads++;
    model.clear();
    mhz = 0;
  };
  while (std::getline(in, line)) {
    if (line.empty()) {
      flush();
      socket = "0";
    } else if (line.rfind("physical id", 0) == 0) {
      socket = value(line);
    } else if (line.rfind("model name", 0) == 0) {
      model = value(line);
    } else if (line.rfind("cpu MHz", 0) == 0) {
      mhz = g_ascii_strtod(value(line).c_str(), nullptr);
    } else if (line.rfind("cpu cores", 0) == 0) {
      cores = std::max(1, atoi(value(line).c_str()));
    }
  }
  flush();
  JsonArray *list = json_array_new();
  gint64 speed = 0, threads = 0;
  for (const auto &[id, c] : sockets) {
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "cores", c.cores);
    json_object_set_int_member(o, "mhz", static_cast<gint64>(c.mhz));
    json_object_set_string_member(o, "model", c.model.c_str());
    json_object_set_int_member(o, "threads", c.threads);
    json_array_add_object_element(list, o);
    speed += static_cast<gint64>(c.mhz) * c.threads;
    threads += c.threads;
  }
  json_object_set_array_member(answer, "cpu", list);
  json_object_set_int_member(answer, "speed", speed);
  json_object_set_int_member(answer, "threads", threads);
}

// Returns the memory use in percent, and adds `mem`.
gint64 add_memory(JsonObject *answer) {
  std::ifstream in("/proc/meminfo");
  std::map<std::string, gint64> kib;
  std::string key;
  gint64 amount;
  std::string unit;
  while (in >> key >> amount) {
    std::getline(in, unit);
    if (!key.empty() && key.back() == ':') key.pop_back();
    kib[key] = amount;
  }
  gint64 total = kib["MemTotal"], free = kib["MemFree"];
  gint64 cached = kib["Cached"] + kib["Buffers"] + kib["SReclaimable"];
  gint64 used = std::max<gint64>(0, total - free - cached);
  JsonObject *mem = json_object_new();
  json_object_set_int_member(mem, "total", total / 1024);
  json_object_set_int_member(mem, "free", free / 1024);
  json_object_set_int_member(mem, "cached", cached / 1024);
  json_object_set_int_member(mem, "used", used / 1024);
  json_object_set_int_member(mem, "swaptotal", kib["SwapTotal"] / 1024);
  json_object_set_int_member(mem, "swapfree", kib["SwapFree"] / 1024);
  json_object_set_object_member(answer, "mem", mem);
  return total > 0 ? used * 100 / total : 0;
}

void add_load(JsonObject *answer, gint64 memory_percent) {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  in >> one >> five >> fifteen;
  JsonObject *load = json_object_new();
  json_object_set_int_member(load, "one", static_cast<gint64>(one * 100));
  json_object_set_int_member(load, "five", static_cast<gint64>(five * 100));
  json_object_set_int_member(load, "fifteen", static_cast<gint64>(fifteen * 100));
  json_object_set_int_member(load, "memory", memory_percent);
  json_object_set_object_member(answer, "load", load);
}

void add_cpu_use(JsonObject *answer) {
  static guint64 prev_busy = 0, prev_total = 0;
  std::ifstream in("/proc/stat");
  std::string cpu;
  guint64 v[8] = {0};
  in >> cpu;
  for (auto &x : v) in >> x;
  guint64 idle = v[3] + v[4];
  guint64 total = 0;
  for (auto x : v) total += x;
  guint64 busy = total - idle;
  guint64 dt = total - prev_total, db = busy - prev_busy;
  json_object_set_int_member(answer, "cpu_use", dt ? static_cast<gint64>(db * 1000 / dt) : 0);
  prev_busy = busy;
  prev_total = total;
}

}  // namespace

void add_system_info(JsonObject *answer) {
  add_cpus(answer);
  add_load(answer, add_memory(answer));
  add_cpu_use(answer);
}

}  // namespace estuary
