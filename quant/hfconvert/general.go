package hfconvert

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"nibble/engine/gguf"
)

// general returns the general.* keys the script writes after
// general.architecture: general.type, then what gguf-py's metadata.py
// guesses from config.json's _name_or_path and the folder's name (name,
// version, organization, finetune, basename, size label, in its order),
// with the size label from the parameter count when no name gives one.
func general(c config, folder string, params uint64) kvs {
	var m idParts
	if id, ok := c["_name_or_path"].(string); ok && strings.Count(id, "/") <= 1 {
		m.fill(modelID(id, params))
	}
	m.fill(modelID(folder, params))
	if m.name == "" {
		m.name = folder
	}
	if m.sizeLabel == "" && params > 0 {
		m.sizeLabel = sizeLabel(params)
	}
	out := kvs{{Key: "general.type", Value: gguf.String("model")}}
	for _, kv := range []struct{ key, v string }{
		{"general.name", m.name},
		{"general.version", m.version},
		{"general.organization", m.org},
		{"general.finetune", m.finetune},
		{"general.basename", m.basename},
		{"general.size_label", m.sizeLabel},
	} {
		if kv.v != "" {
			out.add(kv.key, gguf.String(kv.v))
		}
	}
	return out
}

// idParts is what metadata.py reads from a model id ("org/Name-1B-Chat");
// "" stands for its None.
type idParts struct{ name, org, basename, finetune, version, sizeLabel string }

// fill sets the parts of m still empty from n, as apply_metadata_heuristic
// does (the name and organization in title case).
func (m *idParts) fill(n idParts) {
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&m.name, titleID(n.name))
	set(&m.org, titleID(n.org))
	set(&m.basename, n.basename)
	set(&m.finetune, n.finetune)
	set(&m.version, n.version)
	set(&m.sizeLabel, n.sizeLabel)
}

var (
	reVersion  = regexp.MustCompile(`(?i)^(v|iter)?\d+([.]\d+)*$`)
	reType     = regexp.MustCompile(`(?i)^(i?q\d(_\w)*|b?fp?(16|32))$`)
	reSize     = regexp.MustCompile(`(?i)^(([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl)$`)
	reFinetune = regexp.MustCompile(`(?i)^(chat|instruct|vision|lora)$`)
	reNoTitle  = regexp.MustCompile(`^(v\d+(?:\.\d+)*|\d.*)$`)
)

// modelID splits a model id into its parts like metadata.py's
// get_model_id_components (for a model, params > 0).
func modelID(id string, params uint64) idParts {
	if id == "" {
		return idParts{}
	}
	if strings.Contains(id, " ") {
		return idParts{name: id}
	}
	org, full, ok := strings.Cut(id, "/")
	if !ok {
		org, full = "", id
	}
	if strings.HasPrefix(org, ".") {
		org = ""
	}
	var parts []string
	for _, p := range strings.Split(full, "-") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	const (
		basename = 1 << iota
		size
		finetune
		version
		typ
	)
	kinds := make([]int, len(parts))
	for i, part := range parts {
		switch {
		case reVersion.MatchString(part):
			kinds[i] |= version
		case reType.MatchString(part):
			kinds[i] |= typ
			parts[i] = strings.ToUpper(part)
		case i > 0 && reSize.MatchString(part):
			part = strings.ReplaceAll(part, "_", ".")
			if isDecimal(part[len(part)-1]) { // bloom-7b1 → 7.1b
				part = part[:len(part)-2] + "." + part[len(part)-1:] + part[len(part)-2:len(part)-1]
			}
			if len(part) > 1 && isDecimal(part[len(part)-2]) && strings.ContainsRune("kmbt", rune(part[len(part)-1])) {
				part = part[:len(part)-1] + strings.ToUpper(part[len(part)-1:])
			}
			if v, err := strconv.ParseFloat(part[:len(part)-1], 64); err == nil && params > 0 {
				label := v * math.Pow(1000, float64(strings.IndexByte(" KMBT", part[len(part)-1])))
				if math.Abs(label-float64(params)) > float64(7*params/8) { // likely a context length
					kinds[i] |= finetune
					part = part[:len(part)-1] + strings.ToLower(part[len(part)-1:])
				}
			}
			if kinds[i] == 0 {
				kinds[i] |= size
			}
			parts[i] = part
		case i > 0 && reFinetune.MatchString(part):
			kinds[i] |= finetune
		}
	}
	// A number-based size label hides word-based ones ("small").
	hasNumber := false
	for i, p := range parts {
		if kinds[i]&size != 0 && strings.ContainsFunc(p, unicode.IsDigit) {
			hasNumber = true
		}
	}
	if hasNumber {
		for i, p := range parts {
			if kinds[i]&size != 0 && !strings.ContainsFunc(p, func(r rune) bool { return !unicode.IsLetter(r) }) {
				kinds[i] &^= size
			}
		}
	}
	atStart := true
	for i, p := range parts {
		if atStart && ((kinds[i] == 0 && unicode.IsLetter([]rune(p)[0])) || kinds[i]&version != 0) {
			kinds[i] |= basename
		} else {
			atStart = false
			if kinds[i] == 0 {
				kinds[i] |= finetune
			}
		}
	}
	for i := len(parts) - 1; i >= 0; i-- { // a trailing version is not part of the basename
		if kinds[i]&basename != 0 && kinds[i] != basename {
			kinds[i] &^= basename
		} else {
			break
		}
	}
	join := func(kind, without int) string {
		var sel []string
		for i, p := range parts {
			if kinds[i]&kind != 0 && kinds[i]&without == 0 && !(kind == size && slices.Contains(sel, p)) {
				sel = append(sel, p)
			}
		}
		return strings.Join(sel, "-")
	}
	r := idParts{name: full, org: org, basename: join(basename, 0), sizeLabel: join(size, 0),
		finetune: join(finetune, 0), version: join(version, basename)}
	if r.sizeLabel == "" && r.finetune == "" && r.version == "" {
		r.basename = "" // too ambiguous
	}
	return r
}

func isDecimal(b byte) bool { return b >= '0' && b <= '9' }

// titleID is metadata.py's id_to_title: dashes become spaces and each
// all-lowercase word not a version or number is title-cased as Python's
// str.title does ("ts5m" → "Ts5M": a letter after a digit starts a word).
func titleID(s string) string {
	words := strings.Fields(strings.ReplaceAll(strings.TrimSpace(s), "-", " "))
	for i, w := range words {
		if isLower(w) && !reNoTitle.MatchString(w) {
			words[i] = pyTitle(w)
		}
	}
	return strings.Join(words, " ")
}

// isLower is Python's str.islower: some cased letter, none upper or title case.
func isLower(s string) bool {
	cased := false
	for _, r := range s {
		if unicode.IsUpper(r) || unicode.IsTitle(r) {
			return false
		}
		cased = cased || unicode.IsLower(r)
	}
	return cased
}

func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		isCased := unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
		switch {
		case isCased && !prevCased:
			b.WriteRune(unicode.ToTitle(r))
		case isCased:
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		prevCased = isCased
	}
	return b.String()
}

// sizeLabel is gguf-py's size_label for a dense model:
// model_weight_count_rounded_notation with two significant digits at least
// ("5.8M", "1.2B", "494M").
func sizeLabel(params uint64) string {
	n := float64(params)
	scaled, suffix := n*1e-3, "K"
	switch {
	case n > 1e12:
		scaled, suffix = n*1e-12, "T"
	case n > 1e9:
		scaled, suffix = n*1e-9, "B"
	case n > 1e6:
		scaled, suffix = n*1e-6, "M"
	}
	digits := len(strings.TrimLeft(strconv.FormatFloat(math.RoundToEven(scaled), 'f', 0, 64), "0"))
	return fmt.Sprintf("%.*f%s", max(2-digits, 0), scaled, suffix)
}
