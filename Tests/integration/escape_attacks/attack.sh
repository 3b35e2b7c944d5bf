#!/bin/sh
# A hostile shell function, with only sh and the tools in /usr: climbs `..` from its working
# directory (which the shell worker chose), from $PWD, from every descriptor it and the other
# visible processes hold, from /proc/*/cwd and /proc/*/root and through links it makes in /tmp;
# `cd -P ..` from the cwd; from each distinct directory reached it lists, greps files for canary
# tokens, reads the targets and tries to create files. It prints what it reached (one line
# each); the test judges on the host side. The spec comes on stdin, one `kind value` a line;
# targets are named by their index, never echoed.
marker=
name=hearth-escape-attack
reads=/tmp/.reads
creates=/tmp/.creates
seen=/tmp/.seen
set -C  # noclobber: a file is made, never overwritten
rm -f "$reads" "$creates" "$seen"; : > "$reads"; : > "$creates"; : > "$seen"
while IFS=' ' read -r kind value; do
    case "$kind" in
        marker) marker=$value ;;
        name) name=$value ;;
        read) printf '%s\n' "$value" >> "$reads" ;;
        create) printf '%s\n' "$value" >> "$creates" ;;
    esac
done
echo "banner hearth-escape-attack"
echo "marker $marker"
echo "pid $$ ppid $PPID"
echo "link cwd $(readlink /proc/$$/cwd)"
for f in /proc/$$/fd/* /proc/[0-9]*/fd/*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    echo "link $f $(readlink "$f" 2>/dev/null)"
done

# A directory reached: note its identity once, list it, grep under it, try the targets from it.
reach() {
    route=$1
    label=$2
    [ -d "$route" ] || return 0
    id=$(stat -L -c '%d:%i' "$route" 2>/dev/null) || return 0
    if grep -qx "$id" "$seen"; then return 0; fi
    echo "$id" >> "$seen"
    echo "dir:$id $label"
    ls -A "$route" 2>/dev/null | head -n 100 | sed 's/^/name /'
    find "$route/" -maxdepth 3 \( -name proc -o -name sys -o -name usr -o -name lib -o -name etc -o -name dev -o -name .git \) -prune \
        -o -type f -size -4M -print 2>/dev/null | head -n 100 | tr '\n' '\0' \
        | xargs -0 -r grep -aoh 'HEARTHCANARY[0-9a-f]\{32\}' 2>/dev/null | sort -u | sed 's/^/token /'
    i=0
    while IFS= read -r target; do
        if [ -r "$route$target" ] && [ -f "$route$target" ]; then
            echo "read $label + read[$i]: $(head -c 100 "$route$target" | tr -c '[:print:]' '.')"
            grep -aoh 'HEARTHCANARY[0-9a-f]\{32\}' "$route$target" 2>/dev/null | sort -u | sed 's/^/token /'
        fi
        i=$((i + 1))
    done < "$reads"
    i=0
    while IFS= read -r target; do
        if { printf '%s' "$marker" > "$route$target"; } 2>/dev/null; then
            echo "created $label + create[$i]"
        fi
        i=$((i + 1))
    done < "$creates"
}

climb() {
    up=
    k=0
    while [ $k -le 12 ]; do
        reach "$1$up" "$2$up"
        up="$up/.."
        k=$((k + 1))
    done
}

climb . cwd
climb "$PWD" '$PWD'
climb /proc/$$/cwd /proc/sh/cwd
climb /proc/self/root /proc/self/root
for f in /proc/[0-9]*/cwd /proc/[0-9]*/root /proc/$$/fd/* /proc/[0-9]*/fd/*; do
    climb "$f" "$f"
done
ln -s "$PWD/../../../.." /tmp/hearth-escape-attack-sh-up 2>/dev/null && climb /tmp/hearth-escape-attack-sh-up "symlink through \$PWD"
ln -s "$(pwd -P 2>/dev/null || echo .)/../../.." /tmp/hearth-escape-attack-sh-cwd 2>/dev/null && climb /tmp/hearth-escape-attack-sh-cwd "symlink through pwd -P"
for path in "./$name" "/$name" "/usr/$name" "/runtimes/$name" "/dev/$name" "/dev/shm/$name" "/var/tmp/$name" "/tmp/$name"; do
    if { printf '%s' "$marker" > "$path"; } 2>/dev/null; then echo "created direct $(echo "$path" | sed "s/$name/<name>/")"; fi
done
k=0
while [ $k -lt 12 ]; do
    cd -P .. 2>/dev/null || break
    k=$((k + 1))
    reach . "cd -P .. x$k"
done
echo "done $marker"
