#!/bin/bash
# The lifecycle checks in a booted Debian 12 (systemd 252, cgroup2), before the .deb exists:
#   Tests/system/lifecycle/stage.sh DIR && Tests/system/vm.sh run DIR
# stages this build's hearthd, its helpers, the Swift runtime it links, the runtimes and the
# profiles into DIR/opt, with run.sh, which starts hearthd as a transient unit with
# Delegate=yes and KillMode=mixed and checks the cgroup layout (supervisor/, workers/), the
# memory limit, that `systemctl stop` drains and leaves no process or group, and that
# `systemctl kill -s KILL` leaves no worker.
set -eu
dir=${1:?usage: stage.sh DIR}
here=$(cd "$(dirname "$0")/../../.." && pwd)
bin=$(cd "$here" && swift build --show-bin-path)
rm -rf "$dir/opt" && mkdir -p "$dir/opt/bin" "$dir/opt/lib"
cp "$here/.build/debug/hearthd" "$bin/hearth-launcher" "$bin/hearth-init" "$dir/opt/bin/"
for lib in $(ldd "$here/.build/debug/hearthd" | awk '$3 ~ /swift/ {print $3}'); do cp "$lib" "$dir/opt/lib/"; done
cp -r "$here/runtimes" "$here/sandbox-profiles" "$dir/opt/"
cp "$here/Tests/system/lifecycle/run.sh" "$dir/run.sh"
