// Package state holds what each screen of Nibble's window shows and the
// actions it offers, in plain Go: one view model per screen (welcome.go,
// library.go, fit.go, chat.go, settings.go), no widgets. Package ui wires
// widgets to them; the tests here drive every flow without a window.
//
// Long work (loading a model, quantizing, generating, hashing) runs in
// goroutines the view models start; they report through Changes, from
// whatever goroutine, and the views refresh their widgets with fyne.Do.
package state
