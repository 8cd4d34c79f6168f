package ui

import (
	"nibble/assets"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// AppID is the application identifier Fyne uses for preferences and storage;
// it must match FyneApp.toml.
const AppID = "app.nibble.desktop"

// Run opens Nibble's main window and blocks until the user closes it.
func Run() {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	w := a.NewWindow("Nibble")
	w.SetContent(NewShell())
	w.Resize(fyne.NewSize(1024, 640))
	w.ShowAndRun()
}

// NewShell returns the content of the main window. For now it is a welcome
// placeholder; the library, make-it-fit and chat screens replace it.
func NewShell() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Nibble", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	sub := widget.NewLabelWithStyle("Run language models on your own computer, offline.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	return container.NewCenter(container.NewVBox(title, sub))
}
