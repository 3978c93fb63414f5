#!/usr/bin/env sh
# Regenerates the committed voices (Debian: espeak-ng, ffmpeg). Two synthetic speakers
# (a lower and a higher voice) and two lines; small Opus files, decoded by the analyzer.
set -eu
cd "$(dirname "$0")/fixtures"
LINE="The quick brown fox jumps over the lazy dog near the river bank."
OTHER="She sells sea shells by the sea shore every summer morning."
say() { espeak-ng -v "$1" -s 160 -w "$2.wav" "$3" && ffmpeg -v error -y -i "$2.wav" -ac 1 -c:a libopus -b:a 32k "$2.ogg" && rm "$2.wav"; }
say en-us+m3 line_low "$LINE"
say en-us+f3 line_high "$LINE"
say en-us+m3 other_low "$OTHER"
