#!/usr/bin/env bash
# Builds the libFuzzer harnesses (the `fuzz` preset: clang, ASan + UBSan) and runs each for SECONDS.
# Not the regression check: inputs already saved under tests/fuzz/regressions/ are replayed by the
# regular build's ctest (fuzz_replay_*), with or without clang.
#
#   bash scripts/fuzz.sh [SECONDS] [HARNESS...]     # default 60 s each, every harness
#   bash scripts/fuzz.sh 600 gguf safetensors       # harness names without the fuzz_ prefix
#   bash scripts/fuzz.sh --probe                    # exit 0 if clang's libFuzzer is here, else 1
#
# Each harness fuzzes with build/fuzz/corpus/<name>/ (kept between runs, grows), plus its seeds: the
# data/ fixtures listed in tests/fuzz/seeds.txt and tests/fuzz/corpus/<name>/. A crash, timeout,
# leak or out-of-memory input is copied to tests/fuzz/regressions/<name>/ and the script exits 1
# after the other harnesses ran. FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-jobs=2);
# FUZZ_JOBS=2 runs two harnesses at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

probe_only=0
[ "${1:-}" = --probe ] && probe_only=1
SECONDS_EACH=${1:-60}
shift || true
ALL=(gguf safetensors config_json tokenizer_json sentencepiece llama2c_tokenizer llama2c encode_decode)
HARNESSES=("$@")
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=("${ALL[@]}")

# clang++ with libFuzzer's runtime, or skip: the replay tests still cover the saved inputs.
# `fuzz.sh --probe` only asks: exit 0 if it is there, 1 (with the sentence) if not.
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$probe_dir/p.cpp"
if ! command -v clang++ >/dev/null || ! clang++ -fsanitize=fuzzer,address,undefined "$probe_dir/p.cpp" -o "$probe_dir/p" 2>/dev/null; then
  echo "fuzz.sh: skipped, clang++ with libFuzzer (-fsanitize=fuzzer) is not available"
  [ $probe_only = 1 ] && exit 1
  exit 0
fi
[ $probe_only = 1 ] && exit 0
[[ $SECONDS_EACH =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number of seconds, not '$SECONDS_EACH'" >&2; exit 2; }

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${HARNESSES[@]/#/fuzz_}"

# Per harness: the largest input worth trying, and its dictionary.
declare -A MAX_LEN=([gguf]=160000 [safetensors]=131072 [config_json]=8192 [tokenizer_json]=65536
                    [sentencepiece]=16384 [llama2c_tokenizer]=16384 [llama2c]=32768 [encode_decode]=4096)
declare -A DICT=([gguf]=gguf [safetensors]=safetensors [config_json]=json [tokenizer_json]=json
                 [sentencepiece]=tokenizer [llama2c_tokenizer]=tokenizer [llama2c]=gguf [encode_decode]=tokenizer)

# One harness: fuzz it, save what it found, and write its summary line to build/fuzz/<name>.summary.
fuzz_one() {
  local h=$1
  corpus=build/fuzz/corpus/$h seeds=build/fuzz/seeds/$h artifacts=build/fuzz/artifacts/$h/
  mkdir -p "$corpus" "$seeds" "$artifacts" "tests/fuzz/corpus/$h"
  # data/ seeds by glob from seeds.txt (copied, so libFuzzer reads plain folders; not committed)
  while read -r name glob; do
    [ "$name" = "$h" ] || continue
    for f in $glob; do [ -f "$f" ] && cp -f "$f" "$seeds/$(echo "${f#data/}" | tr / _)"; done
  done < <(grep -v '^#' tests/fuzz/seeds.txt)
  extra=()
  [ -d "tests/fuzz/regressions/$h" ] && extra+=("tests/fuzz/regressions/$h")
  log=build/fuzz/$h.log
  echo "== fuzz_$h: ${SECONDS_EACH}s"
  set +e
  # shellcheck disable=SC2086
  "build/fuzz/fuzz_$h" "$corpus" "$seeds" "tests/fuzz/corpus/$h" "${extra[@]}" \
    -max_total_time="$SECONDS_EACH" -max_len="${MAX_LEN[$h]}" -dict="tests/fuzz/${DICT[$h]}.dict" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts" ${FUZZ_ARGS:-} \
    >"$log" 2>&1
  rc=$?
  set -e
  # libFuzzer's last progress line has cov: and ft:; its final stats give execs/s.
  last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -1)
  rss=$(sed -nE 's/^stat::peak_rss_mb: *([0-9]+)/\1/p' "$log" | tail -1)
  # -fork mode (FUZZ_ARGS) prints no stat:: lines: take both from its last progress line instead.
  [ -n "$execs" ] || execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  [ -n "$rate" ] || rate=$(sed -nE 's/.*exec\/s:? ([0-9]+).*/\1/p' <<<"$last")
  status=ok
  shopt -s nullglob
  arts=("$artifacts"crash-* "$artifacts"timeout-* "$artifacts"oom-* "$artifacts"leak-*)
  shopt -u nullglob
  if [ ${#arts[@]} -gt 0 ] || [ $rc -ne 0 ]; then
    status="FOUND (exit $rc)"
    mkdir -p "tests/fuzz/regressions/$h"
    for a in "${arts[@]}"; do
      cp -f "$a" "tests/fuzz/regressions/$h/" && echo "   saved tests/fuzz/regressions/$h/$(basename "$a")"
      rm -f "$a"
    done
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*terminate called|.*what\(\))' "$log" | head -5 || true
    echo "   log: $log"
  fi
  line=$(printf '%-18s %-16s execs %-9s execs/s %-7s cov %-6s ft %-6s peak_rss_mb %s' \
         "fuzz_$h" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${rss:-?}")
  echo "$line"
  echo "$line" >"build/fuzz/$h.summary"
}

for h in "${HARNESSES[@]}"; do
  [ -n "${MAX_LEN[$h]:-}" ] || { echo "fuzz.sh: unknown harness '$h' (have: ${ALL[*]})" >&2; exit 2; }
done
# FUZZ_JOBS=N runs N harnesses side by side (each still for SECONDS): CI uses 2, one per core.
rm -f build/fuzz/*.summary
for h in "${HARNESSES[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-1}" ]; do wait -n || true; done
  fuzz_one "$h" &
done
wait
summary=()
for h in "${HARNESSES[@]}"; do summary+=("$(cat "build/fuzz/$h.summary" 2>/dev/null || echo "fuzz_$h  (no result)")"); done
found=0
grep -q "FOUND\|no result" <<<"$(printf '%s\n' "${summary[@]}")" && found=1

echo "== fuzz summary (${SECONDS_EACH}s each)"
printf '%s\n' "${summary[@]}"
if [ $found -ne 0 ]; then
  echo "fuzz.sh: findings saved under tests/fuzz/regressions/; minimize with: build/fuzz/fuzz_<name> -minimize_crash=1 -runs=10000 FILE"
  exit 1
fi
