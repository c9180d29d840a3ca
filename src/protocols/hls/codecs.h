// RFC 6381 codec strings for the CODECS attribute of HLS (and DASH) manifests, computed from a
// track's codec initialisation data. Pure functions over untrusted bytes, bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace estuary::hls {

// "avc1.PPCCLL" from an AVCDecoderConfigurationRecord (avcC); "" when too short or malformed.
std::string avc_codec_string(const uint8_t *avcc, size_t size);

// "hvc1.P.C.TL.B0..." from an HEVCDecoderConfigurationRecord (hvcC); "" when malformed.
std::string hevc_codec_string(const uint8_t *hvcc, size_t size);

// "mp4a.40.N" from an AudioSpecificConfig, N the audio object type; "mp4a.40.2" (AAC-LC) when the
// config is missing, the most common case and what players assume.
std::string aac_codec_string(const uint8_t *asc, size_t size);

}  // namespace estuary::hls
