#!/bin/sh
# Regenerate the build system: ./autogen.sh && ./configure && make
set -e
for tool in autoreconf automake autoconf pkg-config; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "autogen.sh: '$tool' not found; install autoconf, automake and pkg-config" >&2
		exit 1
	fi
done
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi
