package synth

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// vocab is a tokenizer as GGUF metadata (tokenizer.ggml.*).
type vocab struct {
	model, pre    string    // tokenizer.ggml.model ("llama" or "gpt2") and .pre
	tokens        []string  // token texts, by id
	types         []int32   // token types, by id
	scores        []float32 // SentencePiece only
	merges        []string  // BPE only: "left right", by rank
	bos, eos, unk int32     // -1: none
	addBOS        bool
	template      string // tokenizer.chat_template
}

func (v *vocab) add(text string, typ int32) {
	v.tokens = append(v.tokens, text)
	v.types = append(v.types, typ)
}

// byteChars is GPT-2's bytes_to_unicode table as text: the character that
// stands for byte b in a byte-level BPE token. Printable Latin-1 bytes stand
// for themselves, the others (controls, space, 0x7F-0xA0, 0xAD) for U+0100
// onwards in byte order. (The tokenizer package has the same table for the
// way back and keeps it to itself.)
var byteChars = func() (table [256]string) {
	next := rune(256)
	for b := range table {
		if '!' <= b && b <= '~' || 0xA1 <= b && b <= 0xAC || 0xAE <= b && b <= 0xFF {
			table[b] = string(rune(b))
		} else {
			table[b] = string(next)
			next++
		}
	}
	return table
}()

// bpeVocab returns a byte-level BPE vocabulary (tokenizer.ggml.model
// "gpt2") of n normal tokens: the 256 byte tokens in GPT-2's order (by
// character, so the printable bytes first), then n-256 merged tokens, each
// the product of one merge. Merges come from a BPE learned on the built-in
// corpus, then from growing words letter by letter.
func bpeVocab(n int) *vocab {
	v := &vocab{model: "gpt2", unk: -1}
	base := slices.Clone(byteChars[:])
	slices.SortFunc(base, func(a, b string) int {
		ra, _ := utf8.DecodeRuneInString(a)
		rb, _ := utf8.DecodeRuneInString(b)
		return cmp.Compare(ra, rb)
	})
	for _, c := range base {
		v.add(c, tokenNormal)
	}
	words := corpusWords(func(w string) (syms []string) {
		for _, b := range []byte(w) {
			syms = append(syms, byteChars[b])
		}
		return syms
	})
	for _, m := range grow(words, base, n-len(base)) {
		v.add(m[0]+m[1], tokenNormal)
		v.merges = append(v.merges, m[0]+" "+m[1])
	}
	return v
}

// spmAlphabet is the single characters a SentencePiece vocabulary holds as
// pieces: printable ASCII, with ▁ for the space. Other characters are
// spelled with byte tokens.
func spmAlphabet() []string {
	var a []string
	for c := ' '; c <= '~'; c++ {
		a = append(a, strings.ReplaceAll(string(c), " ", "▁"))
	}
	return a
}

// spmPieces returns n SentencePiece pieces in score order: those a BPE
// learns on the corpus (words written with ▁ for spaces, as SentencePiece
// sees them; line breaks are left to the byte tokens) and grows, then the
// single characters, which SentencePiece puts last.
func spmPieces(n int) []string {
	alphabet := spmAlphabet()
	words := corpusWords(func(w string) (syms []string) {
		if strings.TrimSpace(w) == "" {
			return nil
		}
		for _, r := range strings.ReplaceAll(w, " ", "▁") {
			syms = append(syms, string(r))
		}
		return syms
	})
	var pieces []string
	for _, m := range grow(words, alphabet, n-len(alphabet)) {
		pieces = append(pieces, m[0]+m[1])
	}
	return append(pieces, alphabet...)
}

// grow returns n merges, each a pair of existing tokens whose
// concatenation is a new token, starting from the tokens in base. First it
// learns BPE merges on words: the most frequent adjacent pair first, as
// long as a pair occurs twice. Then, until there are n, it extends word-like tokens (letters,
// after an optional space mark) by one lowercase letter, oldest token
// first: no real vocabulary is that regular, but the sizes and the
// tokenizer's work are those of a real one.
func grow(words []trainWord, base []string, n int) [][2]string {
	have := make(map[string]bool, len(base)+n)
	for _, t := range base {
		have[t] = true
	}
	tokens := append([]string(nil), base...)
	var merges [][2]string
	add := func(left, right string) {
		if t := left + right; !have[t] {
			have[t] = true
			tokens = append(tokens, t)
			merges = append(merges, [2]string{left, right})
		}
	}

	for len(merges) < n {
		left, right, count := bestPair(words)
		if count < 2 {
			break
		}
		add(left, right)
		mergePair(words, left, right)
	}
	for i := 0; len(merges) < n; i++ {
		if !wordLike(tokens[i]) {
			continue
		}
		for c := 'a'; c <= 'z' && len(merges) < n; c++ {
			add(tokens[i], string(c))
		}
	}
	return merges
}

// bestPair returns the most frequent pair of adjacent symbols in words and
// how often it occurs; among equally frequent pairs, the first in byte
// order, so the result never depends on map order.
func bestPair(words []trainWord) (left, right string, count int) {
	counts := map[[2]string]int{}
	for _, w := range words {
		for i := 1; i < len(w.syms); i++ {
			counts[[2]string{w.syms[i-1], w.syms[i]}] += w.count
		}
	}
	for p, c := range counts {
		if c > count || c == count && (p[0] < left || p[0] == left && p[1] < right) {
			left, right, count = p[0], p[1], c
		}
	}
	return left, right, count
}

// mergePair joins every adjacent left, right in words, left to right.
func mergePair(words []trainWord, left, right string) {
	for k, w := range words {
		out := w.syms[:0] // in place: out never gets ahead of i
		for i := 0; i < len(w.syms); i++ {
			if i+1 < len(w.syms) && w.syms[i] == left && w.syms[i+1] == right {
				out = append(out, left+right)
				i++
				continue
			}
			out = append(out, w.syms[i])
		}
		words[k].syms = out
	}
}

// wordLike reports whether t is letters, after an optional space mark
// (GPT-2's Ġ or SentencePiece's ▁).
func wordLike(t string) bool {
	t = strings.TrimPrefix(strings.TrimPrefix(t, "Ġ"), "▁")
	if t == "" {
		return false
	}
	for _, r := range t {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// trainWord is a distinct word of the corpus as BPE sees it: its current
// symbols and how often it occurs.
type trainWord struct {
	syms  []string
	count int
}

// corpusWords cuts the built-in corpus into the words BPE learns on, the
// way the pre-tokenizers of Llama 3 and Qwen2 cut text: a run of letters
// or of punctuation, with the space before it; each digit alone; other
// whitespace on its own. split turns a word into its first symbols. The
// words come in order of first appearance, each once with its count.
func corpusWords(split func(string) []string) []trainWord {
	r := []rune(corpus)
	index := map[string]int{}
	var words []trainWord
	for i := 0; i < len(r); {
		start := i
		if r[i] == ' ' && i+1 < len(r) && !unicode.IsSpace(r[i+1]) && !unicode.IsDigit(r[i+1]) {
			i++
		}
		switch c := r[i]; {
		case unicode.IsLetter(c):
			for i < len(r) && unicode.IsLetter(r[i]) {
				i++
			}
		case unicode.IsDigit(c):
			i++
		case unicode.IsSpace(c):
			for i < len(r) && unicode.IsSpace(r[i]) {
				i++
			}
		default:
			for i < len(r) && !unicode.IsLetter(r[i]) && !unicode.IsDigit(r[i]) && !unicode.IsSpace(r[i]) {
				i++
			}
		}
		w := string(r[start:i])
		if k, ok := index[w]; ok {
			words[k].count++
			continue
		}
		index[w] = len(words)
		words = append(words, trainWord{syms: split(w), count: 1})
	}
	return words
}
