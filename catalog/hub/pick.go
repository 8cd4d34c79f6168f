package hub

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DefaultLevel is the level PickGGUF takes when none is asked for and a repo
// has several files, as ollama does.
const DefaultLevel = "Q4_K_M"

// ErrNoLevel is returned, wrapped, by PickGGUF when a repo has no .gguf file
// at the level asked for.
var ErrNoLevel = errors.New("no .gguf file at level")

// PickGGUF chooses among a repo's file names (Client.Files) its .gguf file
// at level (a quantization level such as "Q4_K_M", any case), recognised in
// the name as hasLevel says; "F16" also matches "fp16", as some repos name
// it. With level "", the repo's only .gguf file, or else the one at
// DefaultLevel. None or several at the level is an error that lists them.
func PickGGUF(names []string, level string) (string, error) {
	var ggufs []string
	for _, n := range names {
		if strings.HasSuffix(strings.ToLower(n), ".gguf") {
			ggufs = append(ggufs, n)
		}
	}
	if len(ggufs) == 0 {
		return "", errors.New("the repo has no .gguf file")
	}
	if level == "" {
		if len(ggufs) == 1 {
			return ggufs[0], nil
		}
		level = DefaultLevel
	}
	spellings := []string{level}
	if strings.EqualFold(level, "F16") {
		spellings = append(spellings, "fp16")
	}
	var match []string
	for _, n := range ggufs {
		if slices.ContainsFunc(spellings, func(l string) bool { return hasLevel(n, l) }) {
			match = append(match, n)
		}
	}
	slices.Sort(ggufs)
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return "", fmt.Errorf("%w %s; the repo's files:\n  %s", ErrNoLevel, level, strings.Join(ggufs, "\n  "))
	}
	slices.Sort(match)
	return "", fmt.Errorf("several .gguf files at level %s, name one:\n  %s", level, strings.Join(match, "\n  "))
}

// hasLevel tells whether a file name has level in it, any case, not followed
// by more of a level name: "q4_k_m" is in "model-q4_k_m.gguf" but "Q4_K" is
// not, nor "Q4_0" in "model-Q4_0_4_4.gguf".
func hasLevel(name, level string) bool {
	name, level = strings.ToLower(name), strings.ToLower(level)
	for i := 0; ; {
		j := strings.Index(name[i:], level)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(level)
		if (start == 0 || !isAlnum(name[start-1])) && (end == len(name) || !isAlnum(name[end]) && name[end] != '_') {
			return true
		}
		i = start + 1
	}
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}
