package hw

import "golang.org/x/sys/cpu"

// CPU is the processor. Zero counts and an empty Model mean unknown.
type CPU struct {
	Model         string      `json:"model"`          // e.g. "Apple M2 Pro", "AMD Ryzen 7 7840U w/ Radeon 780M Graphics"
	PhysicalCores int         `json:"physical_cores"` // cores, all kinds (performance and efficiency) together
	LogicalCores  int         `json:"logical_cores"`  // hardware threads: twice the cores with SMT/Hyper-Threading
	Features      CPUFeatures `json:"features"`
}

// CPUFeatures are the SIMD instruction sets that both the processor and the
// operating system support (an AVX-512 CPU under an OS that does not save
// its registers reports no AVX-512). Fields of the other architecture are
// false.
type CPUFeatures struct {
	// x86-64
	AVX2       bool `json:"avx2"`
	FMA        bool `json:"fma"`
	F16C       bool `json:"f16c"`
	AVX512F    bool `json:"avx512f"`
	AVX512BW   bool `json:"avx512bw"`
	AVX512VL   bool `json:"avx512vl"`
	AVX512VNNI bool `json:"avx512_vnni"`
	AVX512BF16 bool `json:"avx512_bf16"`
	AVXVNNI    bool `json:"avx_vnni"` // the 256-bit VNNI of CPUs without AVX-512 (Alder Lake and later)
	// arm64
	NEON    bool `json:"neon"`    // Advanced SIMD, present on every arm64 CPU
	DotProd bool `json:"dotprod"` // SDOT/UDOT, int8 dot products (x/sys/cpu's ASIMDDP)
	I8MM    bool `json:"i8mm"`    // SMMLA, int8 matrix multiply
	FP16    bool `json:"fp16"`    // half-precision NEON arithmetic (ASIMDHP)
}

// DetectCPUFeatures returns the running processor's features, as
// golang.org/x/sys/cpu detected them when the program started. It does no
// I/O and is cheap and safe to call from any goroutine; the kernels choose
// their code by the same answer.
func DetectCPUFeatures() CPUFeatures {
	return CPUFeatures{
		AVX2:       cpu.X86.HasAVX2,
		FMA:        cpu.X86.HasFMA,
		F16C:       cpu.X86.HasF16C,
		AVX512F:    cpu.X86.HasAVX512F,
		AVX512BW:   cpu.X86.HasAVX512BW,
		AVX512VL:   cpu.X86.HasAVX512VL,
		AVX512VNNI: cpu.X86.HasAVX512VNNI,
		AVX512BF16: cpu.X86.HasAVX512BF16,
		AVXVNNI:    cpu.X86.HasAVXVNNI,
		NEON:       cpu.ARM64.HasASIMD,
		DotProd:    cpu.ARM64.HasASIMDDP,
		I8MM:       cpu.ARM64.HasI8MM,
		FP16:       cpu.ARM64.HasASIMDHP,
	}
}

// Names lists the features that are present, in the spelling of Intel's and
// Arm's manuals (the one llama.cpp prints), fields' order.
func (f CPUFeatures) Names() []string {
	var names []string
	for _, feature := range []struct {
		has  bool
		name string
	}{
		{f.AVX2, "AVX2"}, {f.FMA, "FMA"}, {f.F16C, "F16C"},
		{f.AVX512F, "AVX512F"}, {f.AVX512BW, "AVX512BW"}, {f.AVX512VL, "AVX512VL"},
		{f.AVX512VNNI, "AVX512_VNNI"}, {f.AVX512BF16, "AVX512_BF16"}, {f.AVXVNNI, "AVX_VNNI"},
		{f.NEON, "NEON"}, {f.DotProd, "DOTPROD"}, {f.I8MM, "I8MM"}, {f.FP16, "FP16"},
	} {
		if feature.has {
			names = append(names, feature.name)
		}
	}
	return names
}
