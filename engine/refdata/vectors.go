package refdata

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Vector is one test string of llama.cpp's test-tokenizer-0 format with the
// ids it must tokenize to (no BOS, special-token texts taken literally).
type Vector struct {
	Text string
	IDs  []int32
}

// Vectors reads the test strings of base+".inp" and their ids in
// base+".out" (section 0 of the test data README), failing the test when
// they do not pair up.
func Vectors(t testing.TB, base string) []Vector {
	t.Helper()
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if texts[len(texts)-1] != "" {
		t.Fatalf("%s.inp does not end with the separator", base)
	}
	texts = texts[:len(texts)-1]
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%d strings in %s.inp but %d lines in %s.out", len(texts), base, len(lines), base)
	}
	vectors := make([]Vector, len(texts))
	for i, text := range texts {
		vectors[i].Text = text
		for _, field := range strings.Fields(lines[i]) {
			id, err := strconv.ParseInt(field, 10, 32)
			if err != nil {
				t.Fatalf("%s.out line %d: %v", base, i+1, err)
			}
			vectors[i].IDs = append(vectors[i].IDs, int32(id))
		}
	}
	return vectors
}
