#!/usr/bin/env bash
# Installing (issue 15 item 2): `cmake --install` puts every tool in bin/, a man page
# per tool that man renders, a bash completion per tool that bash loads, the README and
# examples; cpack makes a .deb with the same files and Depends from dpkg-shlibdeps.
# Then the .deb is installed for real in a throw-away root: in a private mount namespace
# whose /usr, /etc and /var are overlays with their upper layers on a tmpfs, apt-get
# installs it, and every tool's --help, its man page and the demo's taps-cat part run
# from /usr/bin. The namespace and its tmpfs vanish when the script inside ends, so the
# real system never sees the package: dpkg's database and /usr/bin are compared before
# and after. (Needs root; skipped at that point outside CI.)
source "$(dirname "$0")/lib.sh"
need_cmd cmake cpack man dpkg-deb sha256sum
[[ -n ${TAPS_BUILD_DIR:-} && -f $TAPS_BUILD_DIR/CMakeCache.txt ]] || skip "TAPS_BUILD_DIR is not a build tree"

root="$TMP/root"
cmake --install "$TAPS_BUILD_DIR" --prefix "$root" >"$TMP/install.log" 2>&1 || { show_file log "$TMP/install.log"; fail "cmake --install failed"; }
tools=(taps-cat taps-mcast-recv ambi-manifest-send ambi-verify)
[[ -x $TAPS_BUILD_DIR/apps/taps-mcast-send/taps-mcast-send ]] && tools+=(taps-mcast-send)
for tool in "${tools[@]}"; do
  [[ -x $root/bin/$tool ]] || fail "bin/$tool not installed"
  page="$root/share/man/man1/$tool.1"
  [[ -s $page ]] || fail "no man page for $tool"
  MANWIDTH=80 man -l "$page" >"$TMP/$tool.man" 2>"$TMP/$tool.man.err" || { show_file stderr "$TMP/$tool.man.err"; fail "man -l cannot render $page"; }
  grep -q 'EXIT STATUS' "$TMP/$tool.man" || fail "$tool(1) has no EXIT STATUS section"
  grep -q -- '--help' "$TMP/$tool.man" || fail "$tool(1) does not list the options"
  completion="$root/share/bash-completion/completions/$tool"
  [[ -s $completion ]] || fail "no bash completion for $tool"
  bash -c "source '$completion' && complete -p $tool" >/dev/null 2>&1 || fail "bash cannot load the completion of $tool"
  "$root/bin/$tool" --help >/dev/null || fail "installed $tool --help failed"
done
[[ -s $root/share/doc/taps-toolkit/README.md ]] || fail "README not installed"
[[ -s $root/share/doc/taps-toolkit/examples/preconnection.json ]] || fail "examples not installed"
"$root/bin/taps-cat" --config "$root/share/doc/taps-toolkit/examples/preconnection.json" --print-config >/dev/null ||
  fail "the installed example config does not load"
configs=("$root"/share/doc/taps-toolkit/examples/config/*.json)
[[ -f ${configs[0]} ]] || fail "the sample configurations of testdata/config are not installed"
for f in "${configs[@]}"; do
  "$root/bin/taps-cat" --config "$f" --print-config >/dev/null || fail "the installed sample $f does not load"
done
note "install tree: ${#tools[@]} tools, man pages, completions, docs: ok"

# The completion offers the options, and files after --cert.
out=$(bash -c "source '$root/share/bash-completion/completions/taps-cat'; COMP_WORDS=(taps-cat --fra); COMP_CWORD=1; _taps_cat; echo \"\${COMPREPLY[*]}\"")
assert_eq "--framer" "$out" "completion of --fra"
out=$(bash -c "source '$root/share/bash-completion/completions/taps-cat'; COMP_WORDS=(taps-cat --framer l); COMP_CWORD=2; _taps_cat; echo \"\${COMPREPLY[*]}\"")
assert_eq "line lp" "$out" "completion of --framer l"

# --version: the version, the commit, the build type, OpenSSL.
"$root/bin/taps-cat" --version >"$TMP/version"
head -1 "$TMP/version" | grep -qE '^taps-cat [0-9]+\.[0-9]+\.[0-9]+$' || { show_file version "$TMP/version"; fail "first line of --version"; }
grep -qE '^commit [0-9a-f]{7,}' "$TMP/version" || { show_file version "$TMP/version"; fail "--version lacks the commit"; }
grep -qE 'build$' "$TMP/version" || fail "--version lacks the build type"
grep -q '^OpenSSL 3' "$TMP/version" || fail "--version lacks the OpenSSL version"

# The .deb holds the install tree and its Depends come from dpkg-shlibdeps.
(cd "$TMP" && cpack --config "$TAPS_BUILD_DIR/CPackConfig.cmake" -B "$TMP/pkg" -D CPACK_DEBIAN_COMPRESSION_TYPE=none -D CPACK_STRIP_FILES=ON >"$TMP/cpack.log" 2>&1) ||
  { show_file log "$TMP/cpack.log"; fail "cpack failed"; }
deb=$(ls "$TMP"/pkg/taps-toolkit_*.deb 2>/dev/null | head -1)
[[ -n $deb ]] || { show_file log "$TMP/cpack.log"; fail "no .deb made"; }
dpkg-deb -I "$deb" >"$TMP/deb.info"
grep -qE '^ Depends: .*libc6' "$TMP/deb.info" || { show_file info "$TMP/deb.info"; fail "Depends without libc6: dpkg-shlibdeps did not run"; }
grep -qE '^ Depends: .*libc-ares2' "$TMP/deb.info" || { show_file info "$TMP/deb.info"; fail "Depends without libc-ares2 (the resolver)"; }
dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort >"$TMP/deb.files"
(cd "$root" && find . -type f -o -type l) | sed 's|^\.|/usr|' | sort >"$TMP/tree.files"
diff "$TMP/tree.files" "$TMP/deb.files" >"$TMP/diff" || { show_file diff "$TMP/diff"; fail ".deb contents differ from the install tree"; }
note ".deb: $(basename "$deb"), $(wc -l <"$TMP/deb.files") files, $(grep '^ Depends' "$TMP/deb.info")"

need_root
need_cmd unshare apt-get dpkg mount
grep -qw overlay /proc/filesystems || skip "the kernel has no overlayfs: the .deb cannot be installed in a throw-away root"
status_before=$(sha256_of /var/lib/dpkg/status)
bin_before=$(find /usr/bin -maxdepth 1 | sort | sha256sum)
was_installed=$(dpkg-query -W -f='${Status}' taps-toolkit 2>/dev/null || true)

mkdir "$TMP/overlay"
cat >"$TMP/inside.sh" <<'INSIDE'
set -euo pipefail
deb=$1 overlay=$2 source_dir=$3
shift 3
mount -t tmpfs -o mode=0755 taps-deb-test "$overlay"
for d in usr etc var; do
  mkdir "$overlay/$d.upper" "$overlay/$d.work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$overlay/$d.upper,workdir=$overlay/$d.work" "/$d"
done
echo "== apt-get install $deb"
# Its Depends are normally installed already (the build needed them); if not, apt
# fetches them from the Debian mirror, into the overlay too.
DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Use-Pty=0 "$deb"
dpkg-query -W -f='${Status} ${Version}\n' taps-toolkit
for tool in "$@"; do
  echo "== /usr/bin/$tool --help"
  [[ $(command -v "$tool") == /usr/bin/$tool ]] || { echo "$tool is not /usr/bin/$tool" >&2; exit 1; }
  "/usr/bin/$tool" --help | sed -n 1,3p
  MANWIDTH=80 man "$tool" 2>/dev/null | grep -q 'EXIT STATUS' || { echo "man $tool: no page" >&2; exit 1; }
done
echo "== TOOLS_DIR=/usr/bin scripts/demo cat"
TOOLS_DIR=/usr/bin "$source_dir/scripts/demo" cat
INSIDE
rc=0
timeout -k 5 600 unshare --mount --propagation private bash "$TMP/inside.sh" "$deb" "$TMP/overlay" "$TAPS_SOURCE_DIR" "${tools[@]}" \
  >"$TMP/inside.log" 2>&1 || rc=$?
if [[ $rc != 0 ]]; then
  tail -n 40 "$TMP/inside.log" >&2
  fail "install and run inside the namespace: exit $rc"
fi
grep -q '^install ok installed' "$TMP/inside.log" || { show_file log "$TMP/inside.log"; fail "dpkg does not show the package installed"; }
grep -q 'OK: every byte arrived, in order.' "$TMP/inside.log" || { show_file log "$TMP/inside.log"; fail "the demo's taps-cat part did not pass"; }
note "inside: $(grep -m1 '^install ok installed' "$TMP/inside.log"); ${#tools[@]} tools ran from /usr/bin; demo: $(grep -o '[0-9.]* MiB/s[^$]*' "$TMP/inside.log" | head -1)"

# Nothing of it reached the real system.
assert_eq "$status_before" "$(sha256_of /var/lib/dpkg/status)" "dpkg status file after the test"
assert_eq "$bin_before" "$(find /usr/bin -maxdepth 1 | sort | sha256sum)" "/usr/bin listing after the test"
assert_eq "$was_installed" "$(dpkg-query -W -f='${Status}' taps-toolkit 2>/dev/null || true)" "taps-toolkit's status on the real system"
findmnt -rn -o TARGET | grep -qF "$TMP/overlay" && fail "the overlay is still mounted outside the namespace"
note "the real system is unchanged"
echo PASS

