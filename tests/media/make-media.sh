#!/bin/sh
# Writes short test clips (3 s, 320x240 H.264 + 48 kHz stereo AAC, and audio-only/subtitle files)
# into OUTDIR, one per container the inputs support. Used by the element and e2e tests, which call
# it at test time so no media is committed. Needs ffmpeg (with libx264, libmp3lame, libvorbis,
# libopus, libtheora); exits 77 (the "skip" code) when ffmpeg is missing.
#
#   tests/media/make-media.sh OUTDIR [NAME...]   # NAME: clip.mp4 clip.mkv ... (default: all)
set -eu

out=${1:?usage: make-media.sh OUTDIR [NAME...]}
shift
command -v ffmpeg >/dev/null 2>&1 || { echo "ffmpeg not found" >&2; exit 77; }
mkdir -p "$out"

dur=3
# Keyframe every second (25 fps), so segmenters and seekers have something to work with.
video="-f lavfi -i testsrc2=size=320x240:rate=25:duration=$dur"
audio="-f lavfi -i sine=frequency=440:sample_rate=48000:duration=$dur"
x264="-c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 25 -bf 2"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

make_one() {
  case "$1" in
    clip.mp4)  ff $video $audio $x264 -c:a aac -ac 2 -b:a 96k -shortest "$out/$1" ;;
    clip.mov)  ff $video $audio $x264 -c:a aac -ac 2 -b:a 96k -shortest "$out/$1" ;;
    clip.mkv)  ff $video $audio $x264 -c:a aac -ac 2 -b:a 96k -shortest "$out/$1" ;;
    clip.webm) ff $video $audio -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 25 \
                 -c:a libopus -ac 2 -shortest "$out/$1" ;;
    subs.mkv)  "$0" "$out" clip.srt
               ff $video $audio -i "$out/clip.srt" -map 0:v -map 1:a -map 2:s $x264 -c:a aac -ac 2 \
                 -b:a 96k -c:s srt -shortest "$out/$1" ;;
    hevc.mp4|hevc.ts|hevc.mkv)
               ff $video $audio -c:v libx265 -preset ultrafast -pix_fmt yuv420p -g 25 \
                 -x265-params log-level=error -c:a aac -ac 2 -b:a 96k -shortest "$out/$1" ;;
    clip.flv)  ff $video $audio $x264 -c:a aac -ac 2 -b:a 96k -shortest "$out/$1" ;;
    clip.ts)   ff $video $audio $x264 -c:a aac -ac 2 -b:a 96k -shortest "$out/$1" ;;
    clip.mp3)  ff $audio -c:a libmp3lame -b:a 128k "$out/$1" ;;
    clip.aac)  ff $audio -c:a aac -ac 2 -b:a 96k -f adts "$out/$1" ;;
    vorbis.ogg) ff $audio -c:a libvorbis -ac 2 "$out/$1" ;;
    opus.ogg)  ff $audio -c:a libopus -ac 2 "$out/$1" ;;
    theora.ogg) ff $video $audio -c:v libtheora -g 25 -c:a libvorbis -ac 2 -shortest "$out/$1" ;;
    clip.wav)  ff $audio -c:a pcm_s16le -ac 2 "$out/$1" ;;
    clip.flac) ff $audio -c:a flac -ac 2 "$out/$1" ;;
    clip.srt)
      printf '1\n00:00:00,500 --> 00:00:01,500\nHello <i>world</i>\n\n2\n00:00:02,000 --> 00:00:03,000\nSecond & last\n\n' \
        >"$out/$1" ;;
    clip.vtt)
      printf 'WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nHello <b>world</b>\n\n00:00:02.000 --> 00:00:03.000\nSecond cue\n\n' \
        >"$out/$1" ;;
    garbage.mp4) head -c 65536 /dev/urandom >"$out/$1" ;;
    *) echo "make-media.sh: unknown clip $1" >&2; exit 2 ;;
  esac
}

if [ $# -eq 0 ]; then
  set -- clip.mp4 clip.mov clip.mkv subs.mkv clip.webm hevc.mp4 hevc.ts clip.flv clip.ts \
    clip.mp3 clip.aac vorbis.ogg opus.ogg theora.ogg clip.wav clip.flac clip.srt clip.vtt \
    garbage.mp4
fi
for name in "$@"; do make_one "$name"; done
