package hftokenizer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"

	"nibble/engine/tokenizer"
)

// A SentencePiece model file (tokenizer.model) is a serialized protobuf
// ModelProto (sentencepiece_model.proto). The script reads only its pieces
// (IdToPiece, GetScore, IsUnknown/IsControl/IsUnused/IsByte), so only they
// are decoded here; the trainer and normalizer specs are skipped: llama.cpp
// uses its own SentencePiece defaults and the script writes none of them.
//
//	message ModelProto     { repeated SentencePiece pieces = 1; ... }
//	message SentencePiece  { string piece = 1; float score = 2; Type type = 3 [default = NORMAL]; }
//	enum Type { NORMAL = 1; UNKNOWN = 2; CONTROL = 3; USER_DEFINED = 4; BYTE = 6; UNUSED = 5; }

// spmPiece is one SentencePiece vocabulary entry.
type spmPiece struct {
	text  string
	score float32
	typ   int32 // the proto's Type, whose numbers are the GGUF token types (tokenizer.TypeNormal, …)
}

// errProto is wrapped by every malformed-protobuf error.
var errProto = errors.New("malformed SentencePiece model")

// readSentencePiece reads the pieces of the tokenizer.model at path.
func readSentencePiece(path string) ([]spmPiece, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pieces, err := parseModelProto(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(pieces) == 0 {
		return nil, fmt.Errorf("%s: %w: no pieces", path, errProto)
	}
	return pieces, nil
}

// parseModelProto decodes the pieces of a serialized ModelProto.
func parseModelProto(data []byte) ([]spmPiece, error) {
	var pieces []spmPiece
	err := forFields(data, func(field int, wire int, value []byte, _ uint64) error {
		if field != 1 {
			return nil
		}
		if wire != wireBytes {
			return fmt.Errorf("%w: pieces field has wire type %d", errProto, wire)
		}
		p, err := parsePiece(value)
		if err != nil {
			return fmt.Errorf("piece %d: %w", len(pieces), err)
		}
		pieces = append(pieces, p)
		return nil
	})
	return pieces, err
}

func parsePiece(data []byte) (spmPiece, error) {
	p := spmPiece{typ: tokenizer.TypeNormal}
	err := forFields(data, func(field int, wire int, value []byte, n uint64) error {
		switch {
		case field == 1 && wire == wireBytes:
			p.text = string(value)
		case field == 2 && wire == wireFixed32:
			p.score = math.Float32frombits(binary.LittleEndian.Uint32(value))
		case field == 3 && wire == wireVarint:
			if n < tokenizer.TypeNormal || n > tokenizer.TypeByte {
				return fmt.Errorf("%w: piece type %d", errProto, n)
			}
			p.typ = int32(n)
		case field <= 3:
			return fmt.Errorf("%w: field %d has wire type %d", errProto, field, wire)
		}
		return nil
	})
	return p, err
}

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// forFields calls fn for every field of the message in data, in order: the
// raw bytes of a length-delimited or fixed-size value, or the number of a
// varint. Groups (wire types 3 and 4, deprecated) are refused.
func forFields(data []byte, fn func(field, wire int, value []byte, n uint64) error) error {
	for len(data) > 0 {
		key, k := binary.Uvarint(data)
		if k <= 0 {
			return fmt.Errorf("%w: bad field key", errProto)
		}
		data = data[k:]
		field, wire := key>>3, int(key&7)
		if field == 0 || field > math.MaxInt32 {
			return fmt.Errorf("%w: field number %d", errProto, field)
		}
		var value []byte
		var n uint64
		switch wire {
		case wireVarint:
			n, k = binary.Uvarint(data)
			if k <= 0 {
				return fmt.Errorf("%w: bad varint in field %d", errProto, field)
			}
			data = data[k:]
		case wireFixed64, wireFixed32:
			size := 8
			if wire == wireFixed32 {
				size = 4
			}
			if len(data) < size {
				return fmt.Errorf("%w: field %d truncated", errProto, field)
			}
			value, data = data[:size], data[size:]
		case wireBytes:
			size, k := binary.Uvarint(data)
			if k <= 0 || size > uint64(len(data)-k) {
				return fmt.Errorf("%w: field %d truncated", errProto, field)
			}
			data = data[k:]
			value, data = data[:size], data[size:]
		default:
			return fmt.Errorf("%w: wire type %d in field %d", errProto, wire, field)
		}
		if err := fn(int(field), wire, value, n); err != nil {
			return err
		}
	}
	return nil
}
