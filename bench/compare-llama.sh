#!/bin/bash
# compare-llama.sh runs gophi bench and llama.cpp's llama-bench side by side
# on the same GGUF files, alternating, and prints their pp/tg lines.
#
#   GOPHI=gophi LLAMA_BENCH=/path/to/llama-bench bench/compare-llama.sh \
#       [-p 512] [-n 128] [-r 2] [-k ROUNDS] FILE.gguf...
#
# Both tools read the weights into memory (-mmp 0) and use 2 threads unless
# THREADS is set. llama.cpp is not part of gophi: build it from source
# outside this repository. This VM-class hardware is noisy, so run several
# rounds (-k) and compare medians of pairs measured together.
set -euo pipefail
G=${GOPHI:-gophi}
L=${LLAMA_BENCH:?set LLAMA_BENCH to the llama-bench binary}
T=${THREADS:-2}
P=512 N=128 R=2 K=1
while getopts p:n:r:k: o; do
	case $o in
	p) P=$OPTARG ;;
	n) N=$OPTARG ;;
	r) R=$OPTARG ;;
	k) K=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-p N] [-n N] [-r N] [-k ROUNDS] FILE.gguf..." >&2; exit 2; }
gophi() {
	"$G" bench -p "$P" -n "$N" -t "$T" -mmp 0 -r "$R" "$1" 2>/dev/null |
		grep -E "pp$P|tg$N" | awk -F'|' '{print "gophi    ", $8, $9}'
}
llama() {
	LD_LIBRARY_PATH=$(dirname "$L") "$L" -m "$1" -p "$P" -n "$N" -t "$T" -mmp 0 -r "$R" -o md 2>/dev/null |
		grep -E "pp$P|tg$N" | awk -F'|' '{print "llama.cpp", $(NF-2), $(NF-1)}'
}
for round in $(seq "$K"); do
	for f in "$@"; do
		echo "== round $round $(basename "$f") $(date +%T)"
		# Odd rounds run gophi first, even rounds llama.cpp first, so
		# neither always meets the machine in the same state.
		if [ $((round % 2)) -eq 1 ]; then
			gophi "$f"
			llama "$f"
		else
			llama "$f"
			gophi "$f"
		fi
	done
done
