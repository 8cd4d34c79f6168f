// Package hw tells what this computer has: memory now; CPU, GPU and disk
// probes join it as the advisor needs them. Every answer may be "unknown"
// (an error): a missing probe never crashes the caller.
package hw
