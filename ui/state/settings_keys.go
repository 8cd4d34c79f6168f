package state

// Catalog settings the window keeps (catalog.Catalog.Setting).
const (
	// SettingWelcomed is set once the user has been through the welcome,
	// which then no longer opens at start.
	SettingWelcomed = "ui_welcomed"
)
