// Package hw tells what this computer has, for the advisor that picks a model
// size and for the kernels that pick their instructions: memory and swap, the
// processor and its SIMD features, graphics processors and their memory, and
// the free space where models are kept, and whether a failed write found the
// disk full (DiskFull, on every system); and this process's peak memory use
// (PeakRSS), which benchmarks report.
//
// Probe gathers it all into a Report. Every answer may be "unknown": a probe
// that cannot read its source (a missing tool or file, a command that hangs)
// leaves its fields zero and adds a line to Report.Problems; it never stops
// the other probes. Probes read the machine through an Env, so tests can
// describe machines other than this one.
package hw
