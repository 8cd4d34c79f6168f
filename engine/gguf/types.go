package gguf

import "fmt"

// Type is a ggml tensor type as stored in a GGUF tensor info. The numeric
// values are ggml's and must never change: they are written into files.
type Type uint32

// The tensor types Nibble knows. Gaps in the numbering are types ggml has
// retired or that Nibble does not support (yet); a file using one of those is
// rejected by the reader with an error naming the number.
const (
	F32    Type = 0
	F16    Type = 1
	Q4_0   Type = 2
	Q4_1   Type = 3
	Q5_0   Type = 6
	Q5_1   Type = 7
	Q8_0   Type = 8
	Q8_1   Type = 9
	Q2_K   Type = 10
	Q3_K   Type = 11
	Q4_K   Type = 12
	Q5_K   Type = 13
	Q6_K   Type = 14
	Q8_K   Type = 15
	IQ4_NL Type = 20
	I8     Type = 24
	I16    Type = 25
	I32    Type = 26
	I64    Type = 27
	F64    Type = 28
	BF16   Type = 30
)

// QK_K is the super-block size of the K-quants; QK is the block size of the
// 32-element "legacy" quants.
const (
	QK_K = 256
	QK   = 32
)

// typeTraits lists, per type, its name, how many elements a block holds and
// how many bytes a block takes. These are the layouts of ggml's block_* structs.
var typeTraits = map[Type]struct {
	name       string
	blockElems int
	blockBytes int
}{
	F32:    {"F32", 1, 4},
	F16:    {"F16", 1, 2},
	BF16:   {"BF16", 1, 2},
	F64:    {"F64", 1, 8},
	I8:     {"I8", 1, 1},
	I16:    {"I16", 1, 2},
	I32:    {"I32", 1, 4},
	I64:    {"I64", 1, 8},
	Q4_0:   {"Q4_0", QK, 2 + QK/2},
	Q4_1:   {"Q4_1", QK, 2 + 2 + QK/2},
	Q5_0:   {"Q5_0", QK, 2 + 4 + QK/2},
	Q5_1:   {"Q5_1", QK, 2 + 2 + 4 + QK/2},
	Q8_0:   {"Q8_0", QK, 2 + QK},
	Q8_1:   {"Q8_1", QK, 2 + 2 + QK},
	Q2_K:   {"Q2_K", QK_K, QK_K/16 + QK_K/4 + 2 + 2},
	Q3_K:   {"Q3_K", QK_K, QK_K/8 + QK_K/4 + 12 + 2},
	Q4_K:   {"Q4_K", QK_K, 2 + 2 + 12 + QK_K/2},
	Q5_K:   {"Q5_K", QK_K, 2 + 2 + 12 + QK_K/8 + QK_K/2},
	Q6_K:   {"Q6_K", QK_K, QK_K/2 + QK_K/4 + QK_K/16 + 2},
	Q8_K:   {"Q8_K", QK_K, 4 + QK_K + QK_K/16*2},
	IQ4_NL: {"IQ4_NL", QK, 2 + QK/2},
}

// Known reports whether Nibble knows the layout of t.
func (t Type) Known() bool { _, ok := typeTraits[t]; return ok }

// String returns ggml's name for the type ("Q4_K"), or "type(N)" if unknown.
func (t Type) String() string {
	if tr, ok := typeTraits[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// BlockElems is the number of elements in one block (1 for plain types).
// It is 0 for unknown types.
func (t Type) BlockElems() int { return typeTraits[t].blockElems }

// BlockBytes is the size in bytes of one block. It is 0 for unknown types.
func (t Type) BlockBytes() int { return typeTraits[t].blockBytes }

// RowBytes returns the bytes taken by a row of n elements, and false if n is
// not a multiple of the block size or the type is unknown.
func (t Type) RowBytes(n int) (int, bool) {
	tr, ok := typeTraits[t]
	if !ok || n < 0 || n%tr.blockElems != 0 {
		return 0, false
	}
	return n / tr.blockElems * tr.blockBytes, true
}

// ParseType maps a ggml type name ("Q4_K", case-sensitive) to its Type.
func ParseType(name string) (Type, bool) {
	for t, tr := range typeTraits {
		if tr.name == name {
			return t, true
		}
	}
	return 0, false
}
