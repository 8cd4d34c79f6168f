// Package assets holds the files Nibble ships inside its binary: the icon
// (icon.svg is the source; icon.png is made from it with
// `rsvg-convert -w 512 -h 512 icon.svg -o icon.png`) and the two texts the
// app runs models over, the calibration text of importance matrices and the
// evaluation text of the quality check.
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

// QualityText is the evaluation text of the app's quality check
// (service.MeasureQuality): about 10 KB of plain, varied English prose —
// a story, a recipe, a letter, a short explanation of science, a dialogue,
// instructions, a little history and everyday arithmetic. It was written
// for Nibble and is original; it is dedicated to the public domain (CC0 1.0):
// anyone may use it for anything, without asking or naming anyone. It is
// not the calibration text.
//
//go:embed quality.txt
var QualityText string

// ModelsJSON is the curated list of chat models Nibble offers to download
// (app/service.Curated reads it): for each, its Hugging Face repositories,
// license, one-line description, shape and GGUF file per level. Entries with
// "checked": false name files not yet verified against the hub.
//
//go:embed models.json
var ModelsJSON []byte
