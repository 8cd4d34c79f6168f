package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Pre-tokenizers cut text into words before BPE merges run inside each word.
// llama.cpp describes each one by a list of regexes (llm_tokenizer_bpe) that
// unicode_regex_split applies in turn: every regex re-cuts each word the
// previous one produced into its matches and the gaps between them. Two of
// them (GPT-2's and Llama 3's) it runs through hand-written splitters, the
// rest through std::regex. Here every step is written by hand: Go's regexp
// has no lookahead, and the regexes are simple enough that a loop says
// exactly what they match.

// charClass is what the regexes ask about a code point: llama.cpp's
// unicode_cpt_flags reduced to the classes the splitters test. llama.cpp's
// tables come from Python's regex module (\p{L}, \p{N}, \s); Go's unicode
// package has the same categories, and its White_Space property is exactly
// llama.cpp's 25 whitespace code points.
type charClass uint8

const (
	classEnd    charClass = iota // past the end of the word (llama.cpp's OUT_OF_RANGE)
	classLetter                  // \p{L}
	classNumber                  // \p{N}
	classSpace                   // \s
	classOther                   // anything else: punctuation, symbols, marks, controls, unassigned
)

func classify(r rune) charClass {
	if r < 0x80 {
		return asciiClasses[r]
	}
	return classifyRune(r)
}

// asciiClasses caches classify for ASCII, most of most texts.
var asciiClasses = func() (table [0x80]charClass) {
	for r := range table {
		table[r] = classifyRune(rune(r))
	}
	return table
}()

func classifyRune(r rune) charClass {
	switch {
	case unicode.Is(unicode.White_Space, r):
		return classSpace
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	}
	return classOther
}

// word is a run of code points being split, with their classes.
type word struct {
	cpts  []rune
	class []charClass
}

func (w word) len() int { return len(w.cpts) }

func (w word) slice(start, end int) word {
	return word{w.cpts[start:end], w.class[start:end]}
}

// classAt is the class of code point i, classEnd past the end.
func (w word) classAt(i int) charClass {
	if i < len(w.class) {
		return w.class[i]
	}
	return classEnd
}

// isNewline reports whether code point i is \r or \n.
func (w word) isNewline(i int) bool {
	return i < len(w.cpts) && (w.cpts[i] == '\r' || w.cpts[i] == '\n')
}

// A splitStep cuts a word into consecutive words and appends their lengths
// in code points to dst.
type splitStep func(w word, dst []int) []int

// preTokenizer is the list of steps for one tokenizer.ggml.pre value.
type preTokenizer struct {
	steps        []splitStep
	ignoreMerges bool // a word that is a token as a whole stays one token (llama.cpp's ignore_merges)
	addBOS       bool // llama.cpp's default add_bos for this pre-tokenizer
}

// preTokenizers are the tokenizer.ggml.pre values FromGGUF accepts, with
// llama.cpp's regexes for them in the comments; names llama.cpp gives the
// same regexes share a value. An absent tokenizer.ggml.pre means "default",
// as in llama.cpp.
var preTokenizers = map[string]preTokenizer{
	"default": {steps: []splitStep{
		runOf(false, punctuationOr("$+<=>^~|")), // [\p{P}\$\+<=>\^~\|]+
		splitGPT2,
		runOf(false, unicode.IsNumber), // \p{N}+
		exactly(3, isASCIIDigit),       // [0-9][0-9][0-9]
	}},
	"gpt-2": gpt2,
	"phi-2": gpt2,
	"mpt":   gpt2,
	"olmo":  gpt2,
	"falcon": {steps: []splitStep{
		runOf(false, punctuationOr("$+<=>^~|`")), // [\p{P}\$\+<=>\^~\|`]+
		splitGPT2,
		exactly(3, isASCIIDigit), // [0-9][0-9][0-9]
	}},
	"llama3":           llama3,
	"llama-v3":         llama3,
	"llama-bpe":        llama3,
	"falcon3":          llama3,
	"smaug-bpe":        smaug,
	"dbrx":             smaug,
	"qwen2":            qwen2,
	"deepseek-r1-qwen": qwen2,
	"megrez":           qwen2,
	"stablelm2":        qwen2,
	"deepseek-llm": {steps: []splitStep{
		exactly(1, isNewlineRune),                 // [\r\n]
		runOf(true, deepseekLetters.contains),     // \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+
		runOf(true, deepseekPunctuation.contains), // \s?[!-/:-~！-／：-～‘-‟　-。]+
		splitTrailingSpace,                        // \s+$
		runOf(false, deepseekCJK.contains),        // [一-龥ࠀ-一가-퟿]+
		runOf(false, unicode.IsNumber),            // \p{N}+
	}},
	"smollm":     starcoder,
	"starcoder":  starcoder,
	"refact":     starcoder,
	"command-r":  starcoder,
	"codeshell":  starcoder,
	"exaone":     starcoder,
	"minerva-7b": starcoder,
}

var (
	// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
	gpt2 = preTokenizer{steps: []splitStep{splitGPT2}}
	// \p{N}, then GPT-2's regex.
	starcoder = preTokenizer{steps: []splitStep{exactly(1, unicode.IsNumber), splitGPT2}}
	// (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
	llama3 = preTokenizer{steps: []splitStep{splitLlama3(3)}, ignoreMerges: true, addBOS: true}
	// Llama 3's regex without its ignore_merges and default BOS.
	smaug = preTokenizer{steps: []splitStep{splitLlama3(3)}}
	// Llama 3's regex with \p{N} in place of \p{N}{1,3}.
	qwen2 = preTokenizer{steps: []splitStep{splitLlama3(1)}}
)

// lookupPreTokenizer returns the pre-tokenizer for a tokenizer.ggml.pre
// value, or an error listing the supported ones.
func lookupPreTokenizer(name string) (preTokenizer, error) {
	if name == "" {
		name = "default"
	}
	if p, ok := preTokenizers[name]; ok {
		return p, nil
	}
	names := make([]string, 0, len(preTokenizers))
	for n := range preTokenizers {
		names = append(names, n)
	}
	slices.Sort(names)
	return preTokenizer{}, fmt.Errorf("unsupported pre-tokenizer %s %q (supported: %s)", KeyPre, name, strings.Join(names, ", "))
}

// split cuts text into words: it returns their lengths in code points.
func (p preTokenizer) split(text word) []int {
	words := []int{text.len()}
	for _, step := range p.steps {
		var next []int
		start := 0
		for _, n := range words {
			next = step(text.slice(start, start+n), next)
			start += n
		}
		words = next
	}
	return words
}

// wordCutter records consecutive cuts of a word as lengths.
type wordCutter struct {
	dst  []int
	prev int // end of the last cut
}

// cut ends a word at end; an empty word is not recorded.
func (c *wordCutter) cut(end int) {
	if end > c.prev {
		c.dst = append(c.dst, end-c.prev)
	}
	c.prev = end
}

// contraction returns the length of the English contraction ('s 't 're 've
// 'm 'll 'd) starting at i, or 0. anyCase also accepts upper-case letters.
func contraction(w word, i int, anyCase bool) int {
	letter := func(j int) rune {
		if j >= w.len() {
			return -1
		}
		if anyCase {
			return unicode.ToLower(w.cpts[j])
		}
		return w.cpts[j]
	}
	if w.cpts[i] != '\'' || i+1 >= w.len() {
		return 0
	}
	switch c1, c2 := letter(i+1), letter(i+2); {
	case c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd':
		return 2
	case c1 == 'r' && c2 == 'e', c1 == 'v' && c2 == 'e', c1 == 'l' && c2 == 'l':
		return 3
	}
	return 0
}

// splitGPT2 is GPT-2's regex, as llama.cpp's unicode_regex_split_custom_gpt2:
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(w word, dst []int) []int {
	c := wordCutter{dst: dst}
	for pos := 0; pos < w.len(); {
		if n := contraction(w, pos, false); n > 0 {
			pos += n
			c.cut(pos)
			continue
		}
		// An optional space, then a run of letters, of numbers or of others.
		run := w.class[pos]
		space := w.cpts[pos] == ' '
		if space {
			run = w.classAt(pos + 1)
		}
		if run == classLetter || run == classNumber || run == classOther {
			if space {
				pos++
			}
			for w.classAt(pos) == run {
				pos++
			}
			c.cut(pos)
			continue
		}
		pos = endOfSpaces(w, pos)
		c.cut(pos)
	}
	return c.dst
}

// endOfSpaces matches \s+(?!\S)|\s+ at pos, a whitespace code point: the
// whole run of whitespace, less its last code point when the run has more
// than one and a non-space follows (that one goes with the next word).
func endOfSpaces(w word, pos int) int {
	end := pos
	for w.classAt(end) == classSpace {
		end++
	}
	if end-pos > 1 && end < w.len() {
		end--
	}
	return end
}

// splitLlama3 is Llama 3's regex, as llama.cpp's
// unicode_regex_split_custom_llama3, with numbers cut every maxDigits
// digits (3 for Llama 3, 1 for Qwen 2 whose regex has \p{N}; llama.cpp runs
// that one through std::regex, which matches the same words):
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(maxDigits int) splitStep {
	return func(w word, dst []int) []int {
		c := wordCutter{dst: dst}
		for pos := 0; pos < w.len(); {
			if n := contraction(w, pos, true); n > 0 {
				pos += n
				c.cut(pos)
				continue
			}
			class := w.class[pos]
			// [^\r\n\p{L}\p{N}]?\p{L}+
			if !w.isNewline(pos) && class != classNumber &&
				(class == classLetter || w.classAt(pos+1) == classLetter) {
				pos++
				for w.classAt(pos) == classLetter {
					pos++
				}
				c.cut(pos)
				continue
			}
			// \p{N}{1,maxDigits}
			if class == classNumber {
				start := pos
				for w.classAt(pos) == classNumber && pos-start < maxDigits {
					pos++
				}
				c.cut(pos)
				continue
			}
			// " ?[^\s\p{L}\p{N}]+[\r\n]*"; a lone space at the end of the word
			// also lands here, as in llama.cpp, and is a word of its own
			// (what \s+(?!\S) would give it).
			run := class
			space := w.cpts[pos] == ' '
			if space {
				run = w.classAt(pos + 1)
			}
			if run == classOther || run == classEnd {
				if space {
					pos++
				}
				for w.classAt(pos) == classOther {
					pos++
				}
				for w.isNewline(pos) {
					pos++
				}
				c.cut(pos)
				continue
			}
			// \s*[\r\n]+ takes the whitespace up to its last \r or \n.
			lastNewline := -1
			for end := pos; w.classAt(end) == classSpace; end++ {
				if w.isNewline(end) {
					lastNewline = end
				}
			}
			if lastNewline >= 0 {
				pos = lastNewline + 1
			} else {
				pos = endOfSpaces(w, pos)
			}
			c.cut(pos)
		}
		return c.dst
	}
}

// splitMatches returns a step that cuts out every match of a pattern, the
// gaps between matches becoming words too, as unicode_regex_split does with
// std::regex_iterator. match returns the end of the match starting at i,
// or i when none starts there.
func splitMatches(match func(w word, i int) int) splitStep {
	return func(w word, dst []int) []int {
		c := wordCutter{dst: dst}
		for i := 0; i < w.len(); {
			end := match(w, i)
			if end == i {
				i++
				continue
			}
			c.cut(i) // the gap before the match
			c.cut(end)
			i = end
		}
		c.cut(w.len())
		return c.dst
	}
}

// runOf is the regex [C]+, or \s?[C]+ if optionalSpace, where C is a set of
// code points given by in.
func runOf(optionalSpace bool, in func(rune) bool) splitStep {
	return splitMatches(func(w word, i int) int {
		start := i
		if optionalSpace && w.class[i] == classSpace && i+1 < w.len() && in(w.cpts[i+1]) {
			start++
		}
		if !in(w.cpts[start]) {
			return i
		}
		end := start + 1
		for end < w.len() && in(w.cpts[end]) {
			end++
		}
		return end
	})
}

// exactly is the regex [C]{n}.
func exactly(n int, in func(rune) bool) splitStep {
	return splitMatches(func(w word, i int) int {
		if i+n > w.len() {
			return i
		}
		for _, r := range w.cpts[i : i+n] {
			if !in(r) {
				return i
			}
		}
		return i + n
	})
}

// splitTrailingSpace is the regex \s+$: the whitespace at the end of a word
// becomes a word of its own.
func splitTrailingSpace(w word, dst []int) []int {
	start := w.len()
	for start > 0 && w.class[start-1] == classSpace {
		start--
	}
	c := wordCutter{dst: dst}
	c.cut(start)
	c.cut(w.len())
	return c.dst
}

func isASCIIDigit(r rune) bool  { return '0' <= r && r <= '9' }
func isNewlineRune(r rune) bool { return r == '\r' || r == '\n' }

// punctuationOr is the class [\p{P}...] with the given extra characters.
func punctuationOr(extra string) func(rune) bool {
	return func(r rune) bool { return unicode.IsPunct(r) || strings.ContainsRune(extra, r) }
}

// runeRanges is a character class of literal ranges, like [a-z].
type runeRanges [][2]rune

// contains reports whether r is in one of the ranges. llama.cpp matches
// these classes with std::wregex on a copy of the text where every
// non-ASCII whitespace code point became \v, so those never match.
func (rr runeRanges) contains(r rune) bool {
	if r >= 0x80 && unicode.Is(unicode.White_Space, r) {
		return false
	}
	for _, rg := range rr {
		if rg[0] <= r && r <= rg[1] {
			return true
		}
	}
	return false
}

// The literal classes of DeepSeek LLM's regexes (from its tokenizer.json),
// written as code point ranges (some of its characters have canonical
// equivalents, which editors may silently substitute in a literal).
var (
	// The letters: upper-, lower- and title-case letters of an older Unicode version.
	deepseekLetters = runeRanges{
		{'A', 'Z'}, {'a', 'z'}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
		{0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377},
		{0x37B, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C},
		{0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556},
		{0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
		{0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
		{0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
		{0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
		{0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC},
		{0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
		{0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
		{0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
		{0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
		{0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787},
		{0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A},
		{0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
		{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
	}
	// !-/:-~！-／：-～‘-‟　-。
	deepseekPunctuation = runeRanges{
		{'!', '/'}, {':', '~'}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
	}
	// 一-龥ࠀ-一가-퟿
	deepseekCJK = runeRanges{{0x4E00, 0x9FA5}, {0x800, 0x4E00}, {0xAC00, 0xD7FF}}
)
