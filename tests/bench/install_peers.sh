#!/bin/sh
# Make the benchmark's peers and tools available, without installing any
# service: rsyslog and syslog-ng are never started by this script and never
# registered as system services.
#
# Debian's rsyslog and syslog-ng-core conflict (both provide
# system-log-daemon), so neither is installed with dpkg: each is unpacked
# with `apt-get download` + `dpkg -x` into tests/bench/peers/root/ (git-
# ignored), and only their shared-library dependencies, which conflict with
# nothing and start nothing, are installed with apt-get.  An rsyslogd or
# syslog-ng already installed on the machine is left alone; bench.py uses
# the unpacked copies (same versions every run).  perf (linux-perf) is
# installed for the profile.
#
# Idempotent: does nothing (and needs no network) when all is in place.
set -e
here=$(cd "$(dirname "$0")" && pwd)
peers="$here/peers"
root="$peers/root"

libs="libestr0 libfastjson4 liblognorm5 libuuid1 libzstd1 zlib1g libsystemd0
      libivykis0 libnet1 libwrap0 libjson-c5 libpcre3 libglib2.0-0 libcap2 libssl3
      linux-perf util-linux procps"
sh "$here/../tools/install-deps.sh" $libs

need=""
[ -x "$root/usr/sbin/rsyslogd" ] || need="$need rsyslog"
[ -x "$root/usr/sbin/syslog-ng" ] || need="$need syslog-ng-core"
[ -z "$need" ] && exit 0

mkdir -p "$peers/debs" "$root"
cd "$peers/debs"
echo "bench: fetching$need (apt-get download; unpacked into tests/bench/peers/root)"
# apt's _apt user may not be able to write here; that only prints a warning.
apt-get download $need 2>/dev/null || { apt-get update >/dev/null && apt-get download $need; }
for p in $need; do
    deb=$(ls -t ${p}_*.deb | head -n 1)
    dpkg -x "$deb" "$root"
    echo "bench: unpacked $deb"
done
# Check that every library the peers load is present.
missing=$(LD_LIBRARY_PATH="$root/usr/lib/syslog-ng" ldd "$root/usr/sbin/rsyslogd" \
    "$root/usr/sbin/syslog-ng" "$root"/usr/lib/x86_64-linux-gnu/rsyslog/im*tcp.so \
    "$root"/usr/lib/syslog-ng/3.*/libafsocket.so "$root"/usr/lib/syslog-ng/3.*/libaffile.so \
    2>/dev/null | grep 'not found' | sort -u || true)
if [ -n "$missing" ]; then
    echo "bench: libraries still missing for the peers:" >&2
    echo "$missing" >&2
    exit 1
fi
