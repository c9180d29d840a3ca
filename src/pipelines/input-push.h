// The push input: media that a protocol server receives (RTMP publish, SRT, TS over TCP/UDP,
// RTSP RECORD) written as container bytes into a stream's pipeline. The server's connection
// thread writes through a PushFeed; the bin demuxes and parses like any other input
// (input-parse.h), exposing video_%u/audio_%u pads.
//
// Two kinds of feed. Most write into an appsrc, whose own thread runs the demuxer, so a slow
// pipeline never holds up the writer. FLV (RTMP publishers) is pushed on the writer's thread
// instead, through a pad of our own: the RTMP server thread already wakes for every message, and
// handing each one to another thread cost two context switches per message (~15 % of the
// server's CPU for one 2.7 Mbit/s ingest); the demuxer and parsers never block.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>

#include "common/gref.h"

namespace estuary {

class PushFeed {
 public:
  explicit PushFeed(GstElement *appsrc);  // transfer none (a reference is taken)
  // Direct feed: `pad` (transfer none) is an active source pad linked to the demuxing bin, with
  // its stream-start, caps and segment stored; write() pushes on the caller's thread.
  static std::shared_ptr<PushFeed> direct(GstPad *pad);
  // Queues container bytes (transfer none). False once the feed is closed: the stream stopped
  // or refused more data, and the publisher should be disconnected.
  bool write(GBytes *bytes);
  bool write(const guint8 *data, gsize size);
  // The publisher is gone: the input ends (the stream may resume with a new feed).
  void end();
  // The stream side closes the feed (stream stopped); write() fails from now on.
  void close();
  bool closed() const;
  guint64 bytes_in() const;

 private:
  bool push_direct(GstBuffer *buf);  // transfer full

  // Lock order: push_lock_, then lock_. close() and closed() take only lock_, so they never wait
  // for a push in progress.
  std::mutex push_lock_;     // serialises pushes and the EOS on pad_
  mutable std::mutex lock_;  // guards the members below
  GRef<GstElement> appsrc_;  // appsrc feeds; null for direct ones
  GRef<GstPad> pad_;         // direct feeds
  bool closed_ = false;
  guint64 bytes_ = 0;
};

// Builds a push input bin for container bytes of `container_caps` ("video/x-flv",
// "video/mpegts, systemstream=true", "video/x-matroska"). Returns the bin (transfer
// full, not floating) and its feed, or nullptr with `error`.
GstElement *input_push_build(const std::string &stream, const char *container_caps,
                             std::shared_ptr<PushFeed> *feed, GError **error);

}  // namespace estuary
