package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"nibble/catalog"
)

func newChatView(s *shell, id uint64) fyne.CanvasObject { return widget.NewLabel("Chats") }

func newChatViewFor(s *shell, m catalog.Model, v catalog.Variant) fyne.CanvasObject {
	return widget.NewLabel("Chat")
}
