package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// nibbleTheme is Fyne's default theme with its variant forced to light or
// dark when the user chose one in Settings (state.SettingTheme); with
// variant "" it follows the system, as the default theme does.
type nibbleTheme struct{ variant string }

// Color is the default theme's color name in the chosen variant.
func (t nibbleTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch t.variant {
	case "light":
		v = theme.VariantLight
	case "dark":
		v = theme.VariantDark
	}
	return theme.DefaultTheme().Color(n, v)
}

func (nibbleTheme) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (nibbleTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (nibbleTheme) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }

// applyTheme makes the app use variant ("light", "dark", or "" to follow
// the system) in every window, at once. Call it on Fyne's goroutine.
func applyTheme(variant string) {
	fyne.CurrentApp().Settings().SetTheme(nibbleTheme{variant})
}

// screenTitle is a screen's title, large and bold.
func screenTitle(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameHeadingText
	return l
}

// screenSection is one part of a screen: a bold heading, a line saying
// what the part is for ("" for none), and its content.
func screenSection(heading, note string, content fyne.CanvasObject) fyne.CanvasObject {
	h := widget.NewLabelWithStyle(heading, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.SizeName = theme.SizeNameSubHeadingText
	box := container.NewVBox(h)
	if note != "" {
		box.Add(wrapped(note))
	}
	box.Add(content)
	return box
}
