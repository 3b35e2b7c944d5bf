#!/usr/bin/env bash
# A throw-away Debian 12 machine with systemd as PID 1 and cgroup v2 only, for what this host
# cannot show (its PID 1 is not systemd and its cgroups are v1).
#
#   vm.sh image      build the cached base image once (debootstrap from deb.debian.org)
#   vm.sh run DIR    boot a fresh copy with DIR shared at /mnt/share, run DIR/run.sh as root
#                    after boot, power off; DIR/run.log is its output (also streamed to stdout),
#                    DIR/rc its status, DIR/console.log the serial console; exits with rc
#
# Environment: HEARTH_VM_CACHE (default /var/cache/hearth-vm; outside any clone so that every
# clone and CI run reuses one image), HEARTH_VM_TIMEOUT (seconds, default 600, for the whole
# boot-run-poweroff), HEARTH_VM_ACCEL (kvm or tcg; default: detected), HEARTH_VM_MEM (MiB,
# default 2048), HEARTH_VM_CPUS (default 2).
#
# The guest has no network: everything a test needs must be in the image (GUEST_PACKAGES).
set -euo pipefail

# Bump when the image's contents change in a way the package list does not show (the guest
# files written by build_image); the list itself is hashed into the key as well.
IMAGE_VERSION=2
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
# What a booted system needs (systemd, udev for the virtio devices, dbus as on any Debian
# box), the kernel (its 9p modules reach the share), and what hearth_*.deb and its tests
# need, so that `apt install ./hearth_*.deb` resolves offline: the .deb's dependencies, the
# runtimes' interpreters, and the tools the checks drive.
GUEST_PACKAGES="systemd systemd-sysv udev dbus kmod initramfs-tools linux-image-amd64
  python3 nodejs libseccomp2 libcap2 libsqlite3-0 zlib1g libstdc++6 libcurl4 libxml2
  util-linux passwd curl procps iproute2 psmisc"

CACHE=${HEARTH_VM_CACHE:-/var/cache/hearth-vm}
KEY="debian12-v${IMAGE_VERSION}-$(echo $GUEST_PACKAGES | sha256sum | cut -c1-12)"
IMAGE_DIR="$CACHE/$KEY"
SHARE_TAG=hearthshare

log() { echo "vm.sh: $*" >&2; }
die() { log "$*"; exit 2; }

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, and QEMU reading the cache)"
}

# Host tools are installed on first use so that `make test-system` works on a fresh CI box.
ensure_host_tools() {
  local missing="" p
  for p in qemu-system-x86 qemu-utils debootstrap e2fsprogs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    log "installing host tools:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
  fi
}

# Files the image needs beyond its packages. Written into the unpacked root before it becomes
# an ext4 image.
write_guest_files() {
  local root=$1
  echo hearth-vm > "$root/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 hearth-vm\n::1 localhost ip6-localhost\n' > "$root/etc/hosts"
  # The root is the virtio disk; the share is mounted by fstab so that its unit can be ordered
  # on. nofail: a run without a share still boots far enough to say so on the console.
  cat > "$root/etc/fstab" <<EOF
/dev/vda / ext4 rw,errors=remount-ro 0 1
$SHARE_TAG /mnt/share 9p trans=virtio,version=9p2000.L,msize=262144,rw,nofail 0 0
EOF
  mkdir -p "$root/mnt/share"
  # Loaded at boot as well as put into the initramfs: the share is mounted from the real
  # root, and a kernel update that regenerates the initramfs must not lose the transport.
  printf '9p\n9pnet\n9pnet_virtio\n' > "$root/etc/modules-load.d/hearth-vm-9p.conf"
  printf '9p\n9pnet\n9pnet_virtio\nvirtio_blk\nvirtio_pci\next4\ncrc32c_generic\n' >> "$root/etc/initramfs-tools/modules"
  # Only those in the initramfs: the default (every storage driver, 36 MB) costs ~25 s of a
  # TCG boot to unpack and probe, and this machine's disk is always virtio.
  sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
  # `-cpu max` offers SVM/VMX, and udev would load KVM and friends for nothing.
  printf 'blacklist kvm\nblacklist kvm_amd\nblacklist kvm_intel\nblacklist pcspkr\n' \
    > "$root/etc/modprobe.d/hearth-vm.conf"

  # The test runner: a simple service (its start job is done at once, so the boot can finish
  # and `systemctl is-system-running` says running/degraded rather than starting), that waits
  # for the boot to settle, runs the share's run.sh, records its status and powers off.
  mkdir -p "$root/usr/local/libexec"
  cat > "$root/usr/local/libexec/hearth-vm-run" <<'EOF'
#!/bin/sh
# Run by hearth-vm-run.service; see Tests/system/vm.sh in the Hearth repository.
share=/mnt/share
systemctl is-system-running --wait >/dev/null 2>&1 || true
if ! mountpoint -q "$share"; then
  echo "hearth-vm-run: $share is not mounted; nothing to run" > /dev/console
  exit 1
fi
systemd-analyze time > "$share/boot.txt" 2>&1 || true
cd "$share"
rm -f rc
if [ -x run.sh ]; then ./run.sh; else sh run.sh; fi > run.log 2>&1 < /dev/null
rc=$?
# Renamed into place, so that the host never reads half a number.
echo "$rc" > rc.tmp && mv rc.tmp rc
sync
systemctl --no-block poweroff
exit 0
EOF
  chmod 0755 "$root/usr/local/libexec/hearth-vm-run"
  cat > "$root/etc/systemd/system/hearth-vm-run.service" <<'EOF'
[Unit]
Description=Run /mnt/share/run.sh and power off (Tests/system/vm.sh)
After=multi-user.target mnt-share.mount
Wants=mnt-share.mount
# Whatever happens to the runner (even a crash before it reaches its own poweroff), the
# machine goes down, so that the host never waits for the timeout of a run that is over.
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=simple
ExecStart=/usr/local/libexec/hearth-vm-run
Environment=HEARTH_SHARE=/mnt/share
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/hearth-vm-run.service \
    "$root/etc/systemd/system/multi-user.target.wants/hearth-vm-run.service"
  # Timers that would reach for the network or churn the disk during a test.
  local t
  for t in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$t"
  done
  # One fixed machine id: the first-boot machinery then stays quiet, and no run depends on it.
  chroot "$root" systemd-machine-id-setup >/dev/null
  ln -sf /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"
}

build_image() {
  local work root started
  started=$(date +%s)
  mkdir -p "$CACHE"
  work=$(mktemp -d "$CACHE/.build-$KEY.XXXXXX")
  root="$work/root"
  # A failed build leaves nothing a later run could mistake for an image; a mount left by a
  # dying chroot is taken down before the directory goes.
  trap 'for m in dev/pts dev proc sys; do umount "$root/$m" 2>/dev/null || true; done; rm -rf "$work"' EXIT
  log "building $KEY with debootstrap from $MIRROR (a few minutes)"
  # The downloaded .debs are kept, so that a changed package list rebuilds without fetching
  # everything again.
  mkdir -p "$CACHE/debs"
  debootstrap --variant=minbase --components=main --cache-dir="$CACHE/debs" \
    --include="$(echo $GUEST_PACKAGES | tr ' ' ',')" \
    "$SUITE" "$root" "$MIRROR" > "$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  write_guest_files "$root"
  mount -t proc proc "$root/proc"
  mount --bind /sys "$root/sys"
  mount --bind /dev "$root/dev"
  chroot "$root" update-initramfs -u -k all > "$work/initramfs.log" 2>&1 \
    || { cat "$work/initramfs.log" >&2; die "update-initramfs failed"; }
  local kver
  kver=$(ls "$root/lib/modules" | sort -V | tail -1)
  # Listed to a file: grep -q would stop reading early and pipefail would call that a failure.
  chroot "$root" lsinitramfs "/boot/initrd.img-$kver" > "$work/initramfs.list"
  grep -q '/9pnet_virtio\.ko' "$work/initramfs.list" || die "the initramfs lacks 9pnet_virtio"
  chroot "$root" apt-get clean
  chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' > "$work/packages.txt"
  umount "$root/dev" "$root/sys" "$root/proc"
  cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
  cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
  # Without loop mounts (none in containers): mkfs copies the tree itself. Sparse, so 4 GiB
  # costs only what the tree holds.
  truncate -s 4G "$work/base.raw"
  mkfs.ext4 -q -F -L root -d "$root" "$work/base.raw" \
    || die "mkfs.ext4 -d failed"
  rm -rf "$root"
  echo "$(( $(date +%s) - started ))" > "$work/build-seconds"
  # Into place only when complete: a concurrent or later run sees a whole image or none.
  mv "$work" "$IMAGE_DIR"
  trap - EXIT
  # Images of other versions are dead weight (4 GiB sparse each); the .deb cache stays.
  local other
  for other in "$CACHE"/debian12-v*; do
    [ "$other" = "$IMAGE_DIR" ] || rm -rf "$other"
  done
  log "image $IMAGE_DIR built in $(cat "$IMAGE_DIR/build-seconds") s"
}

ensure_image() {
  need_root
  [ -f "$IMAGE_DIR/base.raw" ] && return 0
  ensure_host_tools
  mkdir -p "$CACHE"
  # Two runs starting together build one image; the second waits and then finds it.
  exec 9> "$CACHE/.lock"
  flock 9
  [ -f "$IMAGE_DIR/base.raw" ] || build_image
  flock -u 9
}

# A stock kernel hangs on a PVM /dev/kvm (a software KVM for nested clouds), so KVM is used
# only when the device is real; otherwise TCG, with one host thread per vCPU.
accel_args() {
  local accel=${HEARTH_VM_ACCEL:-}
  if [ -z "$accel" ]; then
    if [ -e /sys/module/kvm_pvm ]; then accel=tcg
    elif [ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; }; then accel=kvm
    else accel=tcg
    fi
  fi
  case $accel in
    kvm) echo "-enable-kvm -cpu host" ;;
    tcg) echo "-accel tcg,thread=multi -cpu max" ;;
    *) die "HEARTH_VM_ACCEL must be kvm or tcg, not $accel" ;;
  esac
}

run_vm() {
  local dir=${1:-}
  [ -n "$dir" ] && [ -d "$dir" ] || die "usage: vm.sh run DIR (DIR holds run.sh)"
  dir=$(realpath "$dir")
  [ -f "$dir/run.sh" ] || die "$dir/run.sh does not exist"
  ensure_image
  local timeout=${HEARTH_VM_TIMEOUT:-600} tmp started accel qpid tpid status
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-vm.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  rm -f "$dir/rc" "$dir/rc.tmp" "$dir/boot.txt"
  : > "$dir/run.log"
  # Each run writes into its own overlay; the base stays pristine and runs never see each
  # other's leftovers (and may run at the same time).
  qemu-img create -q -f qcow2 -b "$IMAGE_DIR/base.raw" -F raw "$tmp/disk.qcow2"
  accel=$(accel_args)
  log "booting $KEY ($accel), share $dir, timeout ${timeout}s; console in $dir/console.log"
  started=$(date +%s)
  # shellcheck disable=SC2086
  timeout -k 10 "$timeout" qemu-system-x86_64 $accel \
    -smp "${HEARTH_VM_CPUS:-2}" -m "${HEARTH_VM_MEM:-2048}" \
    -nodefaults -display none -no-reboot -nic none \
    -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 systemd.firstboot=0 panic=-1 mitigations=off" \
    -drive "file=$tmp/disk.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -virtfs "local,path=$dir,mount_tag=$SHARE_TAG,security_model=none,id=share" \
    -serial "file:$dir/console.log" \
    -device virtio-rng-pci &
  qpid=$!
  # The test's own output, live, while it runs.
  tail -n +1 -F --pid=$qpid "$dir/run.log" 2>/dev/null &
  tpid=$!
  status=0
  wait $qpid || status=$?
  wait $tpid 2>/dev/null || true
  local took=$(( $(date +%s) - started ))
  [ -f "$dir/boot.txt" ] && log "guest: $(head -1 "$dir/boot.txt")"
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    log "TIMEOUT: the VM did not finish within ${timeout}s (HEARTH_VM_TIMEOUT); killed it. Console tail:"
    tail -20 "$dir/console.log" >&2
    exit 124
  fi
  if [ ! -f "$dir/rc" ]; then
    log "FAIL: QEMU exited with status $status after ${took}s and run.sh wrote no status. Console tail:"
    tail -30 "$dir/console.log" >&2
    exit 3
  fi
  log "run.sh exited $(cat "$dir/rc"); whole run ${took}s"
  exit "$(cat "$dir/rc")"
}

case ${1:-} in
  image) need_root; ensure_image; log "image: $IMAGE_DIR" ;;
  run) shift; run_vm "$@" ;;
  *) die "usage: vm.sh image | vm.sh run DIR" ;;
esac
