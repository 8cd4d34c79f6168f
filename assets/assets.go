// Package assets holds the files Nibble ships inside its binary: the icon
// (icon.svg is the source; icon.png is made from it with
// `rsvg-convert -w 512 -h 512 icon.svg -o icon.png`).
package assets

import _ "embed"

// IconPNG is the application icon, 512×512 PNG.
//
//go:embed icon.png
var IconPNG []byte
