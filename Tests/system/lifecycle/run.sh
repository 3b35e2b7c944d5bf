#!/bin/bash
# In a booted Debian 12 (systemd, cgroup2; staged by stage.sh): hearthd as a transient unit with
# Delegate=yes, the cgroup layout, the memory limit, stop and kill leaving nothing.
set -u
cp -a /mnt/share/opt /opt/hearth && chown -R root:root /opt/hearth && chmod -R go-w /opt/hearth
export LD_LIBRARY_PATH=/opt/hearth/lib
SOCK=/run/hearth/hearth.sock
api() { curl -s --unix-socket $SOCK "$@"; }
echo "== root subtree_control before: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
ROOT_BEFORE=$(cat /sys/fs/cgroup/cgroup.subtree_control)
start() {
  systemd-run --unit=hearthd -p Delegate=yes -p KillMode=mixed -p TimeoutStopSec=30 \
    -p StateDirectory=hearth -p RuntimeDirectory=hearth -p RuntimeDirectoryPreserve=no \
    -E LD_LIBRARY_PATH=/opt/hearth/lib \
    /opt/hearth/bin/hearthd --data-dir /var/lib/hearth --unix $SOCK --tcp 127.0.0.1:7070 \
      --runtimes-dir /opt/hearth/runtimes --profiles-dir /opt/hearth/sandbox-profiles --pool-capacity 2
  for i in $(seq 1 120); do [ -S $SOCK ] && api http://x/v1/runtimes >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "hearthd did not come up"; journalctl -u hearthd --no-pager | tail -20; return 1
}
sandbox_procs() { ps -eo uid=,pid=,stat=,args= | awk '$1>=524288 && $1<589824 && $3 !~ /^Z/'; }
fail=0
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1"; fail=1; fi; }

start || exit 1
U=/sys/fs/cgroup/system.slice/hearthd.service
MAIN=$(systemctl show -p MainPID --value hearthd)
LAUNCHER=$(pgrep -f hearth-launcher | head -1)
echo "== hearthd $MAIN: $(cat /proc/$MAIN/cgroup); launcher $LAUNCHER: $(cat /proc/$LAUNCHER/cgroup)"
check "hearthd in supervisor" '[ "$(cat /proc/$MAIN/cgroup)" = "0::/system.slice/hearthd.service/supervisor" ]'
check "launcher in supervisor" '[ "$(cat /proc/$LAUNCHER/cgroup)" = "0::/system.slice/hearthd.service/supervisor" ]'
echo "== $U/cgroup.subtree_control: $(cat $U/cgroup.subtree_control); workers: $(cat $U/workers/cgroup.subtree_control)"
check "only memory pids cpu enabled in the unit" '[ "$(cat $U/cgroup.subtree_control)" = "cpu memory pids" ]'
RT=$(api -XPOST http://x/v1/runtimes -H 'content-type: application/json' -d '{"image":"python3"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for i in $(seq 1 100); do api http://x/v1/runtimes/$RT | grep -q '"available"' && break; sleep 0.3; done
api http://x/v1/runtimes/$RT; echo
ls -d $U/workers/sandbox-* ; systemd-cgls --no-pager -u hearthd | head -20
check "workers under hearthd.service/workers" 'ls -d $U/workers/sandbox-* >/dev/null 2>&1'
check "no hearth group at the root" '[ ! -e /sys/fs/cgroup/hearth ]'
# systemd itself enables the controllers a Delegate=yes unit needs on its way from the root
# while the unit runs (and takes them back after): that line is systemd's, not ours.
echo "== root subtree_control while hearthd runs: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
# Memory: 32 MiB function allocating 80 MiB.
mkdir -p /tmp/f && cat > /tmp/f/hog.py <<'PY'
def main(**kw):
    blocks = [bytearray(20 * 1024 * 1024) for _ in range(4)]
    return len(blocks)
PY
(cd /tmp/f && python3 -c "import zipfile; z=zipfile.ZipFile('/tmp/hog.zip','w'); z.write('hog.py'); z.close()")
FN=$(api -XPOST http://x/v1/functions -F runtime_id=$RT -F 'code={"source": "package"}' -F entry=hog.main -F timeout=120 -F package=@/tmp/hog.zip | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
OUT=$(api -XPOST http://x/v1/executions -H 'content-type: application/json' -d "{\"function_id\": \"$FN\"}")
echo "== hog: $OUT"
journalctl -k --no-pager | grep -iE "oom|memory cgroup" | tail -3
check "memory limit enforced" 'echo "$OUT" | grep -q "out of memory"'
# A 3 s async call, then systemctl stop: it finishes, nothing is left.
cat > /tmp/f/slow.py <<'PY'
import time
def main(**kw):
    time.sleep(3)
    return "slept"
PY
(cd /tmp/f && python3 -c "import zipfile; z=zipfile.ZipFile('/tmp/slow.zip','w'); z.write('slow.py'); z.close()")
SLOW=$(api -XPOST http://x/v1/functions -F runtime_id=$RT -F 'code={"source": "package"}' -F entry=slow.main -F timeout=30 -F package=@/tmp/slow.zip | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
EX=$(api -XPOST http://x/v1/executions -H 'content-type: application/json' -d "{\"function_id\": \"$SLOW\", \"sync\": false}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sleep 1.5
# And a second runtime whose workers are starting right now.
api -XPOST http://x/v1/runtimes -H 'content-type: application/json' -d '{"image":"nodejs"}' >/dev/null
T0=$(date +%s.%N); systemctl stop hearthd; T1=$(date +%s.%N)
echo "== systemctl stop took $(python3 -c "print(round($T1-$T0,2))") s"
sleep 0.5
sandbox_procs
check "no sandbox process after stop" '[ -z "$(sandbox_procs)" ]'
check "no sandbox cgroup after stop" '! ls -d /sys/fs/cgroup/system.slice/hearthd.service/workers/sandbox-* >/dev/null 2>&1 && ! ls -d /sys/fs/cgroup/hearth* >/dev/null 2>&1'
journalctl -u hearthd --no-pager | grep -E "CONTINUATION|drain|stopp|launcher" | tail -8
check "no continuation misuse" '! journalctl -u hearthd --no-pager | grep -q "CONTINUATION MISUSE"'
start || exit 1
R=$(api http://x/v1/executions/$EX)
echo "== async after restart: $R"
check "async call that ran at stop finished" 'echo "$R" | grep -q "\"success\""'
# kill -s KILL while node workers start.
api -XPOST http://x/v1/runtimes -H 'content-type: application/json' -d '{"image":"nodejs"}' >/dev/null
sleep 1
echo "== before kill: $(sandbox_procs | wc -l) sandbox processes"
systemctl kill -s KILL hearthd
sleep 1
sandbox_procs
check "no sandbox process 1 s after systemctl kill -s KILL" '[ -z "$(sandbox_procs)" ]'
systemctl stop hearthd 2>/dev/null; systemctl reset-failed hearthd 2>/dev/null
sleep 1
start || exit 1
sleep 2
journalctl -u hearthd --no-pager | grep -E "reclaimed|hearth-launcher" | tail -3
systemctl stop hearthd
check "nothing left after the restart and stop" '[ -z "$(sandbox_procs)" ] && ! ls -d /sys/fs/cgroup/system.slice/hearthd.service/workers/sandbox-* >/dev/null 2>&1'
echo "== root subtree_control after: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
check "root subtree_control untouched at the end" '[ "$(cat /sys/fs/cgroup/cgroup.subtree_control)" = "$ROOT_BEFORE" ]'
exit $fail
