package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func newWelcomeView(s *shell) fyne.CanvasObject { return widget.NewLabel("Welcome") }
