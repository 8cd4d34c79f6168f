// Package assets holds the files Nibble ships inside its binary: the icon
// (icon.svg is the source; icon.png is made from it with
// `rsvg-convert -w 512 -h 512 icon.svg -o icon.png`).
package assets

import _ "embed"

// IconPNG is the application icon, 512×512 PNG.
//
//go:embed icon.png
var IconPNG []byte

// CalibrationText is the text the app runs a model over to measure its
// importance matrix before quantizing it (quant/imatrix): varied everyday
// English (stories, instructions, letters, dialogue, facts, a little code),
// written for Nibble and dedicated to the public domain (CC0). It is never
// the text quality is measured on.
//
//go:embed calibration.txt
var CalibrationText string
