#!/usr/bin/env bash
# Debian packages the test suite uses as real, independent parts:
#   chromium     - browser end-to-end tests (driven by playwright-core)
#   sentencepiece - spm_train/spm_encode: real spiece.model files and reference encodings
#   python3-nltk - NLTK's PorterStemmer, to regenerate the committed stemmer table
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v spm_train >/dev/null || need+=(sentencepiece)
python3 -c 'import nltk' 2>/dev/null || /usr/bin/python3 -c 'import nltk' 2>/dev/null || need+=(python3-nltk)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
