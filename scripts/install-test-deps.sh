#!/usr/bin/env bash
# Debian packages the test suite uses as real, independent parts:
#   chromium     - browser end-to-end tests (driven by playwright-core)
#   sentencepiece - spm_train/spm_encode: real spiece.model files and reference encodings
#   python3-nltk - NLTK's PorterStemmer, to regenerate the committed stemmer table
#   slurmctld, slurmd, slurm-client, munge - a real single-node Slurm for the Slurm tests (scripts/slurm-local.sh)
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v spm_train >/dev/null || need+=(sentencepiece)
python3 -c 'import nltk' 2>/dev/null || /usr/bin/python3 -c 'import nltk' 2>/dev/null || need+=(python3-nltk)
command -v slurmctld >/dev/null || need+=(slurmctld)
command -v slurmd >/dev/null || need+=(slurmd)
command -v sbatch >/dev/null || need+=(slurm-client)
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# WebGPU tests (test/gpu) on a machine without a GPU: Mesa >= 25's software Vulkan driver (lavapipe).
# Debian bookworm's own Mesa 22 is too old for onnxruntime's WebGPU provider; bookworm-backports has 25.
mesa_major=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | cut -d. -f1 || true)
if [ ! -e /usr/share/vulkan/icd.d/lvp_icd.json ] || ! dpkg -l libvulkan1 >/dev/null 2>&1 || [ "${mesa_major:-0}" -lt 25 ]; then
  export DEBIAN_FRONTEND=noninteractive
  if grep -q bookworm /etc/os-release 2>/dev/null && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' >/etc/apt/sources.list.d/bookworm-backports.list
  fi
  apt-get update -qq
  if grep -q bookworm /etc/os-release 2>/dev/null; then
    apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  else
    apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 >/dev/null
  fi
fi
