// Package service is what Nibble's window and its commands both do with the
// catalog, the quantizer, the advisor and the engine: advice that takes what
// the catalog measured into account, making a smaller variant of a model and
// adding it to the catalog, the curated models and getting one from the
// Hugging Face hub (a ready file, or the original weights converted and
// quantized here), the hardware report probed once, the access token for
// gated repos (kept in the OS keyring). It holds no
// user-interface code, so the window (package ui) and the commands (package
// main) share one implementation of each action, and tests run it without a
// window.
package service
