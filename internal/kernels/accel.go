package kernels

// Accelerated reports whether the kernels run their assembly (AVX2 and FMA
// present, no noasm or purego tag). Callers use it to route work that has
// a cheaper pure-Go path of their own when the kernels would fall back to
// their twins: the twins are written to match the assembly bit for bit,
// not to be fast, and on CPUs without FMA their math.FMA is emulated.
func Accelerated() bool { return useAVX2 }
