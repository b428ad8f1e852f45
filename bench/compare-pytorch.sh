#!/bin/bash
# compare-pytorch.sh measures training throughput of gophi (go test -bench
# BenchmarkStep ./train: forward, backward, clipping and AdamW on random
# tokens) and of a PyTorch trainer of the same shape, alternating, and
# prints tokens/s of each.
#
#   PYTORCH_BENCH=/path/to/bench.py bench/compare-pytorch.sh [-k ROUNDS] [-s STEPS]
#
# PYTORCH_BENCH is a script outside this repository (llama2.c's model.py
# and train.py adapted to Phi-3's fused qkv and gate_up layout are a fine
# one) that takes --dim --layers --heads --kv-heads --ffn --vocab --seq
# --batch --steps --warmup-steps and prints a JSON line with "tok_per_s"
# last. It runs with /usr/bin/python3 (Debian's python3-torch) on 2
# threads; OPENBLAS_NUM_THREADS=1 was PyTorch's fastest setting on the dev
# VM (torch's own 2 threads split the work; OpenBLAS threads on top of
# them oversubscribe the 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
B=${PYTORCH_BENCH:?set PYTORCH_BENCH to the PyTorch training benchmark script}
K=1 S=10
while getopts k:s: o; do
	case $o in
	k) K=$OPTARG ;;
	s) S=$OPTARG ;;
	*) exit 2 ;;
	esac
done
# dim layers heads ffn vocab: the shapes of BenchmarkStep (seq 256, batch 8, tied embeddings).
shapes=("64 5 8 192 512" "128 6 4 352 2048" "192 6 6 512 4096" "288 6 6 768 4096" "288 6 6 768 32000")
gophi() {
	go test -run X -bench "BenchmarkStep/dim${1}_l${2}_v${5}\$" -benchtime "${S}x" ./train/ |
		awk '/^BenchmarkStep/ {for (i = 1; i <= NF; i++) if ($(i+1) == "tok/s") t = $i; print "gophi  ", t}'
}
torch() {
	OPENBLAS_NUM_THREADS=1 "$PY" "$B" --dim "$1" --layers "$2" --heads "$3" --kv-heads "$3" --ffn "$4" --vocab "$5" \
		--seq 256 --batch 8 --warmup-steps 2 --steps "$S" --threads 2 |
		tail -1 | sed 's/.*"tok_per_s": \([0-9.]*\).*/pytorch \1/'
}
for round in $(seq "$K"); do
	for sh in "${shapes[@]}"; do
		read -r d l h f v <<<"$sh"
		echo "== round $round dim $d layers $l heads $h ffn $f vocab $v $(date +%T)"
		# Odd rounds run gophi first, even rounds PyTorch first.
		if [ $((round % 2)) = 1 ]; then gophi $d $l $h $f $v; torch $d $l $h $f $v; else torch $d $l $h $f $v; gophi $d $l $h $f $v; fi
	done
done
