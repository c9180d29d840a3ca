// RTMP commands (AMF0 type 20, AMF3 type 17) and data messages (types 18/15): parsing and the
// replies a server sends (_result, _error, onStatus).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/rtmp/amf0.h"
#include "protocols/rtmp/message.h"

namespace estuary::rtmp {

struct Command {
  std::string name;
  double transaction_id = 0;
  AmfValue object;             // command object; null for most NetStream commands
  std::vector<AmfValue> args;  // the values after the command object
  uint32_t stream_id = 0;      // message stream it arrived on

  // args[i] if it exists and is a string/number, else the fallback.
  std::string arg_string(size_t i, std::string fallback = {}) const;
  double arg_number(size_t i, double fallback) const;
  bool arg_boolean(size_t i, bool fallback) const;
};

// Parses a command message; nullopt for other message types or malformed AMF. An AMF3 command
// message starts with one format byte (0) followed by AMF0 values, as Flash sends it.
std::optional<Command> parse_command(const Message &m);

Message make_command(uint32_t stream_id, std::string_view name, double transaction_id,
                     const AmfValue &object, const std::vector<AmfValue> &args = {});
// onStatus on a NetStream: info object {level, code, description} plus `extra` properties.
Message make_on_status(uint32_t stream_id, std::string_view level, std::string_view code,
                       std::string_view description, std::vector<AmfValue::Property> extra = {});
// An info object as carried by _result/_error/onStatus.
AmfValue make_status_info(std::string_view level, std::string_view code,
                          std::string_view description);

// Values of a data message (type 18, or 15 with its leading format byte); nullopt if malformed.
std::optional<std::vector<AmfValue>> parse_data(const Message &m);
Message make_data(uint32_t stream_id, const std::vector<AmfValue> &values);

// Returns the payload of a publisher's data message as a player or FLV file wants it: the
// leading "@setDataFrame" string removed (so it starts with "onMetaData"), and the AMF3 format
// byte of a type-15 message dropped. Other payloads are returned unchanged.
std::vector<uint8_t> strip_set_data_frame(const std::vector<uint8_t> &payload);

}  // namespace estuary::rtmp
