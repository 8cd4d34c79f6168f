package state

// Catalog settings the window keeps (catalog.Catalog.Setting).
const (
	// SettingWelcomed is set once the user has been through the welcome,
	// which then no longer opens at start.
	SettingWelcomed = "ui_welcomed"
	// SettingThreads is how many threads generation uses, a decimal
	// number; unset or "0": all cores (session.Options.Threads 0).
	SettingThreads = "threads"
	// SettingTheme is "light", "dark", or unset to follow the system.
	SettingTheme = "theme"
)
