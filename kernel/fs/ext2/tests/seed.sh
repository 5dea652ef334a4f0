#!/bin/sh
# The tree mke2fs -d puts on the image first (and the host's reference starts from).
set -e
mkdir -p "$1/seed/gone/sub"
cd "$1/seed"
i=0; while [ $i -lt 300 ]; do echo "keep $i"; i=$((i + 1)); done >keep
i=0; while [ $i -lt 300 ]; do echo "cut $i"; i=$((i + 1)); done >cut
echo grow >grow
echo gone >gone/file
echo gone >gone/sub/file
