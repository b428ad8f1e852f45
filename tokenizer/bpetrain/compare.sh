#!/bin/sh
# Compares gophi's BPE trainer with SentencePiece's spm_train (token counts
# and training time, TestCompareSentencePiece) and its tokenizer.json with
# Hugging Face tokenizers (TestCompareHFTokenizers). Installs what it needs:
# Debian's sentencepiece package and the npm package tokenizers (Hugging
# Face's Rust library for Node) in $GOPHI_HF_DIR (default /tmp/gophi-hf).
#
#   tokenizer/bpetrain/compare.sh [go test flags]
#
# GOPHI_SPM_VOCABS (default 1000,4000,8000,32000), GOPHI_SPM_MB (default 5)
# and GOPHI_SPM_CORPUS (a text file instead of the built corpus) steer the
# spm comparison.
set -e
if ! command -v spm_train >/dev/null; then
	apt-get update >/dev/null && apt-get install -y sentencepiece
fi
hf=${GOPHI_HF_DIR:-/tmp/gophi-hf}
if [ ! -d "$hf/node_modules/tokenizers" ]; then
	mkdir -p "$hf"
	(cd "$hf" && npm install --no-save --no-audit --no-fund tokenizers@0.23.2)
fi
cd "$(dirname "$0")/../.."
GOPHI_SPM_COMPARE=1 GOPHI_HF_TOKENIZERS="$hf/node_modules" \
	go test ./tokenizer/bpetrain -run 'TestCompare(SentencePiece|HFTokenizers)$' -v -count=1 -timeout 60m "$@"
