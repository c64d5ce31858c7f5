//go:build !noasm && !purego

package kernels

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels. x/sys/cpu reports AVX2 only when
// the OS saves the YMM state, so the flag also covers OS support.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA
