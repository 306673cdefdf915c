#!/usr/bin/env bash
# check-exercises.sh: proves the chapters' exercises are gradable. Builds the exercise tests twice:
#   - against the library (-DKVLM_EXERCISE_SOLUTIONS=ON): every exercise test must PASS;
#   - against the files in chapters/*/exercises/: an exercise whose skeleton is untouched (its run
#     reports "exercise: not implemented") must FAIL, cleanly: a failed assertion or a caught
#     exception, not a crash or a timeout. One a student has written is reported as solved or not
#     yet, and is never a problem: this script runs in a student's scripts/test.sh too. One whose
#     test skips ("exercise: skipped": chapter 07's kernels where no GPU is present) is reported as
#     skipped, and is not a problem either.
# Prints one line per exercise and exits non-zero only if an exercise breaks a rule.
# Not a grader: teachers grade with `ctest --test-dir build/release -L exercises` (docs/teaching.md).
#
#   scripts/check-exercises.sh [BUILD_ROOT]     (default build/exercises; needs cmake, GTest)
#   JOBS=N to change the build's parallelism (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_root="${1:-$root/build/exercises}"
jobs="${JOBS:-2}"
solutions_dir="$build_root/solutions"
skeletons_dir="$build_root/skeletons"

# The two builds compile the same library: ccache, where installed, compiles it once.
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

configure_and_build() {  # DIR ON|OFF
  cmake -S "$root" -B "$1" -DCMAKE_BUILD_TYPE=Release -DKVLM_BUILD_TESTS=ON -DKVLM_BUILD_BENCHMARKS=OFF \
        -DKVLM_EXERCISE_SOLUTIONS="$2" "${launcher[@]}" >"$1.configure.log" 2>&1 \
    || { cat "$1.configure.log"; echo "check-exercises: configuring $1 failed" >&2; exit 2; }
  # Only the exercise executables (and the library they link): CI has 2 cores.
  cmake --build "$1" -j "$jobs" --target kvlm_exercises 2>&1 | build_progress "$1.build.log" \
    || { tail -n 40 "$1.build.log"; echo "check-exercises: building $1 failed" >&2; exit 2; }
}

# The build's output goes to LOG; on a terminal, its percentage is shown on one line as it goes
# (a cold build takes minutes). In CI, a pipe, nothing is shown. pipefail keeps cmake's status.
build_progress() {  # LOG
  if [[ -t 1 ]]; then
    tee "$1" | while IFS= read -r line; do
      [[ $line =~ ^\[\ *([0-9]+)%\] ]] && printf '\r   building: %s%%' "${BASH_REMATCH[1]}"
    done
    printf '\r\033[K'
  else
    cat >"$1"
  fi
}

# The exercise tests as ctest lists them (label `exercises`), e.g. ch03_ex_rope.
list_exercises() {
  ctest --test-dir "$1" -L exercises -N | sed -n 's/^ *Test *#[0-9]*: *\([A-Za-z0-9_]*\)$/\1/p'
}

mkdir -p "$build_root"
echo "== building the exercises against the library's implementation (solutions) in $solutions_dir"
configure_and_build "$solutions_dir" ON
echo "== building the exercises against the skeletons in $skeletons_dir"
configure_and_build "$skeletons_dir" OFF

mapfile -t exercises < <(list_exercises "$skeletons_dir")
[[ ${#exercises[@]} -gt 0 ]] || { echo "check-exercises: no test labelled 'exercises' found" >&2; exit 2; }

problems=0
solved=()
skipped=()
printf '\n%-28s %-10s %-22s %s\n' exercise solution "chapters/*/exercises" verdict
for name in "${exercises[@]}"; do
  # Solutions: the ctest must pass.
  if ctest --test-dir "$solutions_dir" -R "^${name}\$" --output-on-failure >"$solutions_dir/$name.log" 2>&1; then
    solution=passes
  else
    solution=FAILS
  fi
  # The exercise files as they are: the test executable exits 0 (passed), 1 (GoogleTest's "some
  # tests failed"), or crashes (signal, exit > 128) or hangs (timeout: 124).
  set +e
  timeout 120 ctest --test-dir "$skeletons_dir" -R "^${name}\$" --output-on-failure >"$skeletons_dir/$name.log" 2>&1
  ctest_rc=$?
  exe="$(find "$skeletons_dir/chapters" -maxdepth 1 -type f -name "$name" | head -n 1)"
  timeout 120 "$exe" >"$skeletons_dir/$name.exe.log" 2>&1
  exe_rc=$?
  set -e
  if [[ $ctest_rc -ne 0 && $exe_rc -eq 1 ]]; then state=fails
  elif [[ $ctest_rc -eq 0 ]]; then state=passes
  else state="crashes($exe_rc)"; fi

  verdict=ok
  if grep -q "exercise: skipped" "$skeletons_dir/$name.exe.log"; then
    # Its test cannot run on this machine (chapter 07's kernels without a GPU): not graded here.
    shown="skipped: no GPU"
    skipped+=("$name")
  elif grep -q "exercise: not implemented" "$skeletons_dir/$name.exe.log"; then
    # A skeleton as committed: it must fail, cleanly.
    shown="skeleton $state"
    [[ $state == fails ]] || verdict="PROBLEM: the skeleton must fail cleanly"
  else
    # The student's own code: report it, whatever it does.
    case $state in
      passes) shown="yours: solved"; solved+=("$name") ;;
      fails) shown="yours: not yet" ;;
      *) shown="yours: $state" ;;
    esac
  fi
  [[ $solution == passes ]] || verdict="PROBLEM: the test fails on the library's own functions"
  [[ $verdict == ok ]] || { verdict="$verdict (logs: $solutions_dir/$name.log, $skeletons_dir/$name.log)"; problems=$((problems + 1)); }
  printf '%-28s %-10s %-22s %s\n' "$name" "$solution" "$shown" "$verdict"
done

echo
if ((${#solved[@]})); then
  echo "check-exercises: you have solved ${#solved[@]} of ${#exercises[@]} exercises: ${solved[*]}"
fi
if ((${#skipped[@]})); then
  echo "check-exercises: ${#skipped[@]} exercises need a GPU and were skipped here: ${skipped[*]}"
fi
if [[ $problems -eq 0 ]]; then
  echo "check-exercises: all $((${#exercises[@]} - ${#skipped[@]})) exercises that run here are gradable (each passes on the library's functions; each untouched skeleton fails)"
else
  echo "check-exercises: $problems of ${#exercises[@]} exercises break the rule" >&2
  exit 1
fi
