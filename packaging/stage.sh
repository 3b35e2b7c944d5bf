#!/bin/sh
# Installs Hearth's runnable layout: stage.sh DESTDIR PREFIX BUILD_DIR
# (the .deb stages with PREFIX=/usr; `make install` uses its own PREFIX and DESTDIR).
# stage.sh --paths PREFIX prints the sysusers.d and tmpfiles.d files' paths;
# stage.sh --uninstall DESTDIR PREFIX removes all it installs but /etc/hearth.
# Binaries in PREFIX/bin and PREFIX/libexec/hearth, runtimes and profiles in PREFIX/share/hearth,
# the units with PREFIX substituted, /etc/hearth/hearth.json pointing at PREFIX, the sysusers.d
# and tmpfiles.d entries. Nothing is written outside DESTDIR.
set -eu
mode=install
case $1 in --paths) mode=paths; shift; set -- "" "$1" ;; --uninstall) mode=uninstall; shift ;; esac
dest=$1 prefix=$2 build=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)

# systemd looks for units, sysusers.d and tmpfiles.d under /usr/lib (Debian: /lib for units) and
# /usr/local/lib; any other PREFIX gets them in /etc.
case $prefix in
  /usr) units=/lib/systemd/system lib=/usr/lib ;;
  /usr/local) units=/usr/local/lib/systemd/system lib=/usr/local/lib ;;
  *) units=/etc/systemd/system lib=/etc ;;
esac

case $mode in
  paths) echo "$lib/sysusers.d/hearth.conf $lib/tmpfiles.d/hearth.conf"; exit 0 ;;
  uninstall)
    rm -f "$dest$prefix/bin/hearthd" "$dest$units/hearthd.service" "$dest$units/hearthd.socket" \
      "$dest$lib/sysusers.d/hearth.conf" "$dest$lib/tmpfiles.d/hearth.conf"
    rm -rf "$dest$prefix/libexec/hearth" "$dest$prefix/share/hearth" "$dest$prefix/share/doc/hearth"
    exit 0 ;;
esac

# Stripped (hearthd: 150 MB to 80, most of the rest is ICU data); the dynamic symbols stay,
# for backtraces.
for binary in bin/hearthd libexec/hearth/hearth-init libexec/hearth/hearth-launcher; do
  install -D -m 0755 "$build/${binary##*/}" "$dest$prefix/$binary"
  strip --strip-all "$dest$prefix/$binary"
done

# Every file readable and every directory searchable by all: the sandboxes' own uids bind and read them.
share=$dest$prefix/share/hearth
for tree in runtimes sandbox-profiles; do
  (cd "$top" && find "$tree" -type f ! -name '*.c' ! -name '*.o') | while read -r file; do
    mode=0644; [ -x "$top/$file" ] && mode=0755
    install -D -m $mode "$top/$file" "$share/$file"
  done
done
find "$share" -type d -exec chmod 0755 {} +

install -D -m 0644 "$top/README.md" "$dest$prefix/share/doc/hearth/README.md"
for unit in hearthd.service hearthd.socket; do
  install -d -m 0755 "$dest$units"
  sed "s|@PREFIX@|$prefix|g" "$top/systemd/$unit" > "$dest$units/$unit"
  chmod 0644 "$dest$units/$unit"
done
install -D -m 0644 "$top/packaging/sysusers.conf" "$dest$lib/sysusers.d/hearth.conf"
install -D -m 0644 "$top/packaging/tmpfiles.conf" "$dest$lib/tmpfiles.d/hearth.conf"

# An existing configuration is the administrator's (the .deb stages into an empty tree).
config=$dest/etc/hearth/hearth.json
if [ ! -e "$config" ]; then
  install -d -m 0755 "$dest/etc/hearth"
  sed "s|@PREFIX@|$prefix|g" "$top/systemd/hearth.json" > "$config"
  chmod 0640 "$config"
fi
