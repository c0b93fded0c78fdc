#!/usr/bin/env bash
# The public API is Asio-free: every header of libtaps/include/taps compiles on its
# own without Asio's configuration (no ASIO_STANDALONE), none of the headers it pulls
# in is one of Asio's (the compiler's -H list), and none names Asio.
#
#   tests/layers/public_headers_asio_free.sh CXX INCLUDE_DIR
set -uo pipefail
cxx=$1 include=$2
status=0
for header in "$include"/taps/*.hpp; do
  name=taps/$(basename "$header")
  if ! trace=$(echo "#include \"$name\"" | "$cxx" -std=c++20 -fsyntax-only -H -I"$include" -x c++ - 2>&1); then
    printf '%s does not compile on its own:\n%s\n' "$name" "$trace"
    status=1
    continue
  fi
  if grep -E '^\.+ .*/asio(\.hpp|/)' <<<"$trace"; then
    echo "$name includes Asio (the include chain is above)"
    status=1
  fi
done
if grep -nwi 'asio' "$include"/taps/*.hpp; then
  echo "a public header names Asio (above)"
  status=1
fi
[[ $status == 0 ]] && echo "$(ls "$include"/taps/*.hpp | wc -l) public headers, none includes or names Asio"
exit $status
