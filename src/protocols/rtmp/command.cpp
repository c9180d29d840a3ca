#include "protocols/rtmp/command.h"

#include <algorithm>

namespace estuary::rtmp {

std::string Command::arg_string(size_t i, std::string fallback) const {
  return i < args.size() && args[i].is_string() ? args[i].as_string() : fallback;
}

double Command::arg_number(size_t i, double fallback) const {
  return i < args.size() && args[i].is_number() ? args[i].as_number() : fallback;
}

bool Command::arg_boolean(size_t i, bool fallback) const {
  if (i >= args.size()) return fallback;
  // Some clients send numbers where the spec says boolean (e.g. pause flag as 0/1).
  if (args[i].is_number()) return args[i].as_number() != 0;
  return args[i].as_boolean(fallback);
}

static const uint8_t *amf_payload(const Message &m, size_t *len) {
  *len = m.payload.size();
  const uint8_t *p = m.payload.data();
  // AMF3 command/data messages carry a format byte (0) before AMF0 values.
  if ((m.type == kMsgCommandAmf3 || m.type == kMsgDataAmf3) && *len > 0 && p[0] == 0) {
    p++;
    (*len)--;
  }
  return p;
}

std::optional<Command> parse_command(const Message &m) {
  if (m.type != kMsgCommandAmf0 && m.type != kMsgCommandAmf3) return std::nullopt;
  size_t len;
  const uint8_t *p = amf_payload(m, &len);
  auto values = amf0_decode_all(p, len);
  if (!values || values->empty() || !(*values)[0].is_string()) return std::nullopt;
  Command c;
  c.name = (*values)[0].as_string();
  c.stream_id = m.stream_id;
  if (values->size() > 1) c.transaction_id = (*values)[1].as_number();
  if (values->size() > 2) c.object = (*values)[2];
  for (size_t i = 3; i < values->size(); i++) c.args.push_back(std::move((*values)[i]));
  return c;
}

Message make_command(uint32_t stream_id, std::string_view name, double transaction_id,
                     const AmfValue &object, const std::vector<AmfValue> &args) {
  Message m;
  m.csid = kCsidCommand;
  m.type = kMsgCommandAmf0;
  m.stream_id = stream_id;
  amf0_encode_string(name, &m.payload);
  amf0_encode(AmfValue::number(transaction_id), &m.payload);
  amf0_encode(object, &m.payload);
  for (const AmfValue &a : args) amf0_encode(a, &m.payload);
  return m;
}

AmfValue make_status_info(std::string_view level, std::string_view code,
                          std::string_view description) {
  return AmfValue::object({{"level", AmfValue::string(std::string(level))},
                           {"code", AmfValue::string(std::string(code))},
                           {"description", AmfValue::string(std::string(description))}});
}

Message make_on_status(uint32_t stream_id, std::string_view level, std::string_view code,
                       std::string_view description, std::vector<AmfValue::Property> extra) {
  AmfValue info = make_status_info(level, code, description);
  for (auto &p : extra) info.set(std::move(p.first), std::move(p.second));
  Message m = make_command(stream_id, "onStatus", 0, AmfValue::null(), {info});
  // Status of a NetStream travels with that stream's media on chunk stream 5 in common servers;
  // keeping it on the command stream is equally valid and simpler for clients to order.
  return m;
}

std::optional<std::vector<AmfValue>> parse_data(const Message &m) {
  if (m.type != kMsgDataAmf0 && m.type != kMsgDataAmf3) return std::nullopt;
  size_t len;
  const uint8_t *p = amf_payload(m, &len);
  return amf0_decode_all(p, len);
}

Message make_data(uint32_t stream_id, const std::vector<AmfValue> &values) {
  Message m;
  m.csid = kCsidData;
  m.type = kMsgDataAmf0;
  m.stream_id = stream_id;
  for (const AmfValue &v : values) amf0_encode(v, &m.payload);
  return m;
}

std::vector<uint8_t> strip_set_data_frame(const std::vector<uint8_t> &payload) {
  static const char kTag[] = "@setDataFrame";
  constexpr size_t kTagLen = sizeof kTag - 1;
  constexpr size_t kPrefix = 3 + kTagLen;  // marker + u16 length + text
  size_t start = 0;
  // A type-15 payload begins with a zero format byte, then an AMF0 string marker (also 0x02).
  if (payload.size() > 1 && payload[0] == 0 && payload[1] == kAmf0String) start = 1;
  if (payload.size() >= start + kPrefix && payload[start] == kAmf0String &&
      payload[start + 1] == 0 && payload[start + 2] == kTagLen &&
      std::equal(kTag, kTag + kTagLen, payload.begin() + start + 3))
    start += kPrefix;
  return std::vector<uint8_t>(payload.begin() + start, payload.end());
}

}  // namespace estuary::rtmp
