// Package ui is Nibble's desktop window, built with Fyne. Views are thin:
// they wire widgets to plain-Go state that can be tested without a window.
// Work that takes time runs in goroutines and touches widgets only through
// fyne.Do or data bindings.
package ui
