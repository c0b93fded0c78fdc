#!/usr/bin/env bash
# Installing (issue 15 item 2): `cmake --install` puts every tool in bin/, a man page
# per tool that man renders, a bash completion per tool that bash loads, the README and
# examples; cpack makes a .deb with the same files and Depends from dpkg-shlibdeps.
source "$(dirname "$0")/lib.sh"
need_cmd cmake cpack man dpkg-deb
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
(cd "$TMP" && cpack --config "$TAPS_BUILD_DIR/CPackConfig.cmake" -B "$TMP/pkg" -D CPACK_DEBIAN_COMPRESSION_TYPE=none >"$TMP/cpack.log" 2>&1) ||
  { show_file log "$TMP/cpack.log"; fail "cpack failed"; }
deb=$(ls "$TMP"/pkg/taps-toolkit_*.deb 2>/dev/null | head -1)
[[ -n $deb ]] || { show_file log "$TMP/cpack.log"; fail "no .deb made"; }
dpkg-deb -I "$deb" >"$TMP/deb.info"
grep -qE '^ Depends: .*libc6' "$TMP/deb.info" || { show_file info "$TMP/deb.info"; fail "Depends without libc6: dpkg-shlibdeps did not run"; }
dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort >"$TMP/deb.files"
(cd "$root" && find . -type f -o -type l) | sed 's|^\.|/usr|' | sort >"$TMP/tree.files"
diff "$TMP/tree.files" "$TMP/deb.files" >"$TMP/diff" || { show_file diff "$TMP/diff"; fail ".deb contents differ from the install tree"; }
note ".deb: $(basename "$deb"), $(wc -l <"$TMP/deb.files") files, $(grep '^ Depends' "$TMP/deb.info")"
echo PASS
