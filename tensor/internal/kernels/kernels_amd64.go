//go:build !purego

package kernels

import (
	"fmt"
	"os"

	"golang.org/x/sys/cpu"
)

func init() {
	x := cpu.X86
	if x.HasAVX2 && x.HasFMA {
		tiers[TierAVX2] = &impl{
			dotF32:  dotF32AVX2,
			dotF16:  dotF16AVX2,
			dotBF16: dotBF16AVX2,
			axpy:    axpyF32AVX2,
			maxF32:  maxF32AVX2,
			dotQ8_0: dotQ8_0AVX2,
			dotQ4_0: dotQ4_0AVX2,
			dotQ4_1: dotQ4_1AVX2,
			dotQ5_0: dotQ5_0AVX2,
			dotQ5_1: dotQ5_1AVX2,
			dotQ4_K: dotQ4_KAVX2,
			dotQ5_K: dotQ5_KAVX2,
			dotQ6_K: dotQ6_KAVX2,
			gemmPacked: map[int]func(w, x *float32, ldx, kc int, c *float32, ldc, add int){
				6: gemmPacked6AVX2, 3: gemmPacked3AVX2, 1: gemmPacked1AVX2,
			},
			gemmTiles: []int{6, 3, 1},
			width:     8,
			rope:      ropeHalfAVX2,
			cvtF32F16: cvtF32F16AVX2,
			gemmQ8:    gemmQ8AVX2,
			gemmQ8Min: gemmQ8MinAVX2,
		}
		best = TierAVX2
	}
	if x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512VNNI && x.HasAVX2 {
		tiers[TierAVX512] = &impl{
			dotF32:     dotF32AVX512,
			dotF16:     dotF16AVX512,
			dotBF16:    dotBF16AVX512,
			axpy:       axpyF32AVX512,
			maxF32:     maxF32AVX512,
			dotQ8_0:    dotQ8_0VNNI,
			dotQ4_0:    dotQ4_0VNNI,
			dotQ4_0x2:  dotQ4_0x2VNNI,
			dotQ4_0R:   dotQ4_0RVNNI,
			dotQ4_0X16: dotQ4_0X16VNNI,
			cvtF16:     cvtF16AVX512,
			cvtBF16:    cvtBF16AVX512,
			deqQ8_0:    dequantQ8_0AVX512,
			deqQ4_0:    dequantQ4_0AVX512,
			deqQ4_K:    dequantQ4_KAVX512,
			dotRowsF32: dotRowsF32AVX512,
			dotRowsF16: dotRowsF16AVX512,
			wsumF32:    wsumF32AVX512,
			wsumF16:    wsumF16AVX512,
			expSub:     expSubAVX512,
			swiglu:     swigluAVX512,
			rope:       ropeHalfAVX512,
			cvtF32F16:  cvtF32F16AVX512,
			quantQ8:    quantQ8AVX512,
			wsumQ8_0:   wsumQ8_0AVX512,
			gemmQ8:     gemmQ8VNNI,
			gemmQ8Min:  gemmQ8MinVNNI,
			gemmQ8S16:  gemmQ8S16VNNI,
			gemmQ8Wide: true,
			dotQ4_K:    dotQ4_KVNNI,
			dotQ6_K:    dotQ6_KVNNI,
			dotQ5_K:    dotQ5_KVNNI,
			dotQ4_KX16: dotQ4_KX16VNNI,
			dotQ6_KX16: dotQ6_KX16VNNI,
			dotQ8_0X16: dotQ8_0X16VNNI,
			dotQ4_1:    dotQ4_1VNNI,
			dotQ5_0:    dotQ5_0VNNI,
			dotQ5_1:    dotQ5_1VNNI,
			deqQ6_K:    dequantQ6_KAVX512,
			width:      16,
		}
		tiers[TierAVX512].gemmPacked = map[int]func(w, x *float32, ldx, kc int, c *float32, ldc, add int){
			12: gemmPacked12AVX512, 8: gemmPacked8AVX512, 4: gemmPacked4AVX512, 2: gemmPacked2AVX512, 1: gemmPacked1AVX512,
		}
		tiers[TierAVX512].dotF16X16 = dotF16X16AVX512
		tiers[TierAVX512].dotBF16X16 = dotBF16X16AVX512
		tiers[TierAVX512].gemmF32X16 = map[int]func(wa, wb *float32, x *float32, kc int, c *float32, ldc, add int){
			12: gemmF32X16_12AVX512, 8: gemmF32X16_8AVX512, 4: gemmF32X16_4AVX512, 2: gemmF32X16_2AVX512, 1: gemmF32X16_1AVX512,
		}
		tiers[TierAVX512].packQ4_0X16 = packQ4_0X16PanelAVX512
		tiers[TierAVX512].packQ8_0X16 = packQ8_0X16PanelAVX512
		tiers[TierAVX512].packQ4_KX16 = packQ4_KX16PanelAVX512
		tiers[TierAVX512].repackHalfX16 = repackHalfX16AVX512
		tiers[TierAVX512].packQ6_KX16 = packQ6_KX16PanelAVX512
		tiers[TierAVX512].cvtF16Pairs = cvtF16PairsAVX512
		tiers[TierAVX512].cvtBF16Pairs = cvtBF16PairsAVX512
		if x.HasAVX512BF16 {
			tiers[TierAVX512].gemmBF16X16 = map[int]func(wa, wb *uint32, x *uint32, kc int, c *float32, ldc, add int){
				12: gemmBF16X16_12AVX512, 8: gemmBF16X16_8AVX512, 4: gemmBF16X16_4AVX512, 2: gemmBF16X16_2AVX512, 1: gemmBF16X16_1AVX512,
			}
		}
		best = TierAVX512
	}
	current, curTier = tiers[best], best
	// GOPHI_KERNELS=avx2|generic picks a lower tier, to compare them.
	if t := os.Getenv("GOPHI_KERNELS"); t != "" {
		if err := Use(Tier(t)); err != nil {
			fmt.Fprintln(os.Stderr, "gophi: GOPHI_KERNELS:", err)
		}
	}
}
