package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// cpuInfo returns the processor's model name, like llama.cpp's CPU device
// description, or GOOS/GOARCH when the system does not say.
func cpuInfo() string {
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

// buildCommit returns the VCS revision the binary was built from, shortened
// as llama.cpp prints it, or version when the binary has none.
func buildCommit(version string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			rev = rev[:min(len(rev), 8)]
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	if version == "" {
		return "unknown"
	}
	return version
}
