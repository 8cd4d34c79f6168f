package state

import (
	"fmt"
	"math"
	"strings"

	"github.com/dustin/go-humanize"
)

// The figures every screen shows, in the same words everywhere.

// LevelWords names a quantization level with its precision in plain words:
// "Q4_K_M · 4-bit", "F16 · 16-bit"; "Level unknown" for "".
func LevelWords(level string) string {
	bits := ""
	switch {
	case level == "":
		return "Level unknown"
	case level == "F32":
		bits = "32"
	case level == "F16" || level == "BF16":
		bits = "16"
	case len(level) > 1 && level[0] == 'Q' && level[1] >= '1' && level[1] <= '9':
		bits = level[1:2]
	default:
		return level
	}
	return level + " · " + bits + "-bit"
}

// ParameterWords puts a parameter count in words: "5.8 million",
// "1.1 billion".
func ParameterWords(n uint64) string {
	f := float64(n)
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.1f billion", f/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.1f million", f/1e6)
	}
	return humanize.Comma(int64(n))
}

// Bytes puts a size in human units. They are binary (1 GB = 1,024 MB)
// but spelled without the "i", as Windows and computer makers spell memory
// sizes ("16 GB"), so RAM sizes read as the user knows them.
func Bytes(n uint64) string { return plainUnits(humanize.IBytes(n)) }

// plainUnits spells the binary units humanize.IBytes writes ("1.2 GiB") as
// Bytes does ("1.2 GB").
func plainUnits(s string) string { return strings.ReplaceAll(s, "iB", "B") }

// wordsPerToken is how many English words a token holds on average, to
// put token counts in words people can picture.
const wordsPerToken = 0.75

// ContextWords names a context length: its tokens, and the words they hold,
// "2,048 tokens (about 1,536 words)".
func ContextWords(tokens int) string {
	return fmt.Sprintf("%s tokens (about %s words)", humanize.Comma(int64(tokens)), humanize.Comma(int64(float64(tokens)*wordsPerToken)))
}

// SpeedWords puts a generation speed in words a second, to two significant
// digits, as only the order matters: "about 1,800 words a second".
func SpeedWords(tokensPerSecond float64) string {
	w := tokensPerSecond * wordsPerToken
	if w < 1.5 {
		return "about a word a second, or less"
	}
	if digits := math.Floor(math.Log10(w)) + 1; digits > 2 {
		unit := math.Pow(10, digits-2)
		w = math.Round(w/unit) * unit
	}
	return "about " + humanize.Comma(int64(math.Round(w))) + " words a second"
}

// Capitalize puts s's first letter in upper case.
func Capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
