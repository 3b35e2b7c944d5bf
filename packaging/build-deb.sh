#!/bin/sh
# Builds hearth_<version>_amd64.deb from a release build: build-deb.sh BUILD_DIR OUT_DIR.
# Plain dpkg-deb: the layout from stage.sh, DEBIAN/ from packaging/debian, Depends read from
# the binaries' NEEDED entries (each library's Debian package, libc6 at the newest GLIBC_
# symbol version they use).
set -eu
build=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$top/VERSION")
root=$out/root
rm -rf "$root"
mkdir -p "$root/DEBIAN"
"$top/packaging/stage.sh" "$root" /usr "$build"
install -D -m 0644 "$top/packaging/debian/copyright" "$root/usr/share/doc/hearth/copyright"

elves="$root/usr/bin/hearthd $root/usr/libexec/hearth/hearth-launcher"
# Nothing may point into the build machine's toolchain (the failure this package exists for).
if objdump -p $elves | grep -E 'R(UN)?PATH'; then echo "build-deb: a binary carries an RPATH/RUNPATH" >&2; exit 1; fi
packages=""
for lib in $(objdump -p $elves | awk '/NEEDED/ {print $2}' | sort -u); do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
  [ -n "$path" ] || { echo "build-deb: $lib is not a system library" >&2; exit 1; }
  package=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path") 
  packages="$packages ${package%%:*}"
done
glibc=$(objdump -T $elves | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
depends=""
for package in $(echo $packages | tr ' ' '\n' | sort -u); do
  case $package in libc6) package="libc6 (>= $glibc)" ;; esac
  depends="$depends${depends:+, }$package"
done
# python3: the bundled runtimes' workers; systemd-sysusers and systemd-tmpfiles: postinst.
depends="$depends, python3, systemd-sysusers | systemd, systemd-tmpfiles | systemd"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s#@VERSION@#$version#" -e "s#@SIZE@#$size#" -e "s#@DEPENDS@#$depends#" \
  "$top/packaging/debian/control" > "$root/DEBIAN/control"
install -m 0644 "$top/packaging/debian/conffiles" "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$top/packaging/debian/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -print | sed 's|^\./||' | sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

deb=$out/hearth_${version}_amd64.deb
# Written aside and renamed: whoever waits for the .deb to appear never takes half of one.
dpkg-deb --build --root-owner-group "$root" "$deb.part" >/dev/null
mv "$deb.part" "$deb"
echo "$deb"
