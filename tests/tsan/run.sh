#!/usr/bin/env bash
# Builds tests/tsan/test_hash_pool.cpp with the verifier's hash pool and the AMBI digest
# sources under ThreadSanitizer (the rest of the build has AddressSanitizer, which cannot
# be combined with it) and runs it: a data race fails the test.
#
#   tests/tsan/run.sh CXX SOURCE_DIR BUILD_DIR
set -euo pipefail
cxx=$1 src=$2 out=$3
mkdir -p "$out"
ambi=$src/ambi-tools/ambi/src
"$cxx" -std=c++20 -O1 -g -fsanitize=thread -Wall -Wextra -Werror \
  -I"$src/ambi-tools/ambi/include" -I"$src/ambi-tools" \
  "$src/tests/unit/main.cpp" "$src/tests/tsan/test_hash_pool.cpp" "$src/ambi-tools/verifier/hash_pool.cpp" \
  "$ambi/digest.cpp" "$ambi/pseudoheader.cpp" "$ambi/error.cpp" \
  -o "$out/tsan-hash-pool" -lcrypto -pthread
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$out/tsan-hash-pool"
