package gguf

import (
	"fmt"
	"math"
)

// ValueType is the type tag of a metadata value, as stored in the file.
type ValueType uint32

// The metadata value types of the GGUF spec. The numbers are written into
// files and must never change.
const (
	ValueUint8   ValueType = 0
	ValueInt8    ValueType = 1
	ValueUint16  ValueType = 2
	ValueInt16   ValueType = 3
	ValueUint32  ValueType = 4
	ValueInt32   ValueType = 5
	ValueFloat32 ValueType = 6
	ValueBool    ValueType = 7
	ValueString  ValueType = 8
	ValueArray   ValueType = 9
	ValueUint64  ValueType = 10
	ValueInt64   ValueType = 11
	ValueFloat64 ValueType = 12
)

var valueTypeNames = [...]string{
	ValueUint8:   "uint8",
	ValueInt8:    "int8",
	ValueUint16:  "uint16",
	ValueInt16:   "int16",
	ValueUint32:  "uint32",
	ValueInt32:   "int32",
	ValueFloat32: "float32",
	ValueBool:    "bool",
	ValueString:  "string",
	ValueArray:   "array",
	ValueUint64:  "uint64",
	ValueInt64:   "int64",
	ValueFloat64: "float64",
}

// String returns the spec's name of the type ("uint32"), or "ValueType(N)".
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// fixedSize is the encoded size of a scalar of type t, or 0 for strings,
// arrays and unknown types, whose size depends on their contents.
func (t ValueType) fixedSize() int {
	switch t {
	case ValueUint8, ValueInt8, ValueBool:
		return 1
	case ValueUint16, ValueInt16:
		return 2
	case ValueUint32, ValueInt32, ValueFloat32:
		return 4
	case ValueUint64, ValueInt64, ValueFloat64:
		return 8
	}
	return 0
}

// minSize is the fewest bytes a value of type t can take in a file: a string
// needs its 8-byte length, an array its 4-byte element type and 8-byte count.
// The reader bounds every count by it before allocating.
func (t ValueType) minSize() int {
	switch t {
	case ValueString:
		return 8
	case ValueArray:
		return 12
	}
	return t.fixedSize()
}

// Value is one metadata value. V holds the Go value of the matching type:
// uint8, int8, uint16, int16, uint32, int32, float32, bool, string, uint64,
// int64 or float64. For an array, Elem is the element type and V is a slice of
// the element's Go type ([]uint8 … []string); an array of arrays is a []Value
// whose elements are array Values themselves.
//
// Values returned by a File share nothing with the file's mapping and stay
// valid after Close. Treat their slices as read-only: they are shared with the
// File's KV list.
type Value struct {
	Type ValueType
	Elem ValueType // element type, arrays only
	V    any
}

// KV is one metadata key/value pair.
type KV struct {
	Key   string
	Value Value
}

// Constructors for metadata values, for writers.

func Uint8(v uint8) Value     { return Value{Type: ValueUint8, V: v} }
func Int8(v int8) Value       { return Value{Type: ValueInt8, V: v} }
func Uint16(v uint16) Value   { return Value{Type: ValueUint16, V: v} }
func Int16(v int16) Value     { return Value{Type: ValueInt16, V: v} }
func Uint32(v uint32) Value   { return Value{Type: ValueUint32, V: v} }
func Int32(v int32) Value     { return Value{Type: ValueInt32, V: v} }
func Float32(v float32) Value { return Value{Type: ValueFloat32, V: v} }
func Bool(v bool) Value       { return Value{Type: ValueBool, V: v} }
func String(v string) Value   { return Value{Type: ValueString, V: v} }
func Uint64(v uint64) Value   { return Value{Type: ValueUint64, V: v} }
func Int64(v int64) Value     { return Value{Type: ValueInt64, V: v} }
func Float64(v float64) Value { return Value{Type: ValueFloat64, V: v} }

// ArrayElem lists the Go types an array Value can hold. Value stands for a
// nested array: each element must itself be an array Value.
type ArrayElem interface {
	uint8 | int8 | uint16 | int16 | uint32 | int32 | float32 | bool | string |
		uint64 | int64 | float64 | Value
}

// Array returns an array Value holding elems (not copied).
func Array[T ArrayElem](elems []T) Value {
	elem, _, _ := goType(elems)
	return Value{Type: ValueArray, Elem: elem, V: elems}
}

// goType maps the Go type of a Value's V to its value type; array is true for
// slices, whose value type is the element's. ok is false for any other Go type.
func goType(x any) (t ValueType, array, ok bool) {
	switch x.(type) {
	case uint8:
		return ValueUint8, false, true
	case int8:
		return ValueInt8, false, true
	case uint16:
		return ValueUint16, false, true
	case int16:
		return ValueInt16, false, true
	case uint32:
		return ValueUint32, false, true
	case int32:
		return ValueInt32, false, true
	case float32:
		return ValueFloat32, false, true
	case bool:
		return ValueBool, false, true
	case string:
		return ValueString, false, true
	case uint64:
		return ValueUint64, false, true
	case int64:
		return ValueInt64, false, true
	case float64:
		return ValueFloat64, false, true
	case []uint8:
		return ValueUint8, true, true
	case []int8:
		return ValueInt8, true, true
	case []uint16:
		return ValueUint16, true, true
	case []int16:
		return ValueInt16, true, true
	case []uint32:
		return ValueUint32, true, true
	case []int32:
		return ValueInt32, true, true
	case []float32:
		return ValueFloat32, true, true
	case []bool:
		return ValueBool, true, true
	case []string:
		return ValueString, true, true
	case []uint64:
		return ValueUint64, true, true
	case []int64:
		return ValueInt64, true, true
	case []float64:
		return ValueFloat64, true, true
	case []Value:
		return ValueArray, true, true
	}
	return 0, false, false
}

// scalar returns V if v is a well-formed scalar (V's Go type matches Type).
func (v Value) scalar() (any, bool) {
	t, array, ok := goType(v.V)
	return v.V, ok && !array && t == v.Type
}

// Uint returns v as a uint64 if it is an integer of any width and not negative.
func (v Value) Uint() (uint64, bool) {
	x, ok := v.scalar()
	if !ok {
		return 0, false
	}
	switch x := x.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	}
	if i, ok := v.Int(); ok && i >= 0 {
		return uint64(i), true
	}
	return 0, false
}

// Int returns v as an int64 if it is an integer of any width that fits.
func (v Value) Int() (int64, bool) {
	x, ok := v.scalar()
	if !ok {
		return 0, false
	}
	switch x := x.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// Float returns v as a float64 if it is a float32 or float64.
func (v Value) Float() (float64, bool) {
	x, ok := v.scalar()
	if !ok {
		return 0, false
	}
	switch x := x.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// check reports whether V holds the Go type that Type (and Elem) require, so
// the writer never encodes a value that would not read back the same.
func (v Value) check() error {
	t, array, ok := goType(v.V)
	switch {
	case !ok:
		return fmt.Errorf("value of type %v holds unsupported Go type %T", v.Type, v.V)
	case array && (v.Type != ValueArray || v.Elem != t):
		return fmt.Errorf("value of type %v (element type %v) holds Go type %T", v.Type, v.Elem, v.V)
	case !array && v.Type != t:
		return fmt.Errorf("value of type %v holds Go type %T", v.Type, v.V)
	}
	if t == ValueArray {
		for i, e := range v.V.([]Value) {
			if e.Type != ValueArray {
				return fmt.Errorf("element %d of an array of arrays has type %v", i, e.Type)
			}
			if err := e.check(); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return nil
}

// Get returns the value of key.
func (f *File) Get(key string) (Value, bool) {
	i, ok := f.keys[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// String returns the value of key if it is a string.
func (f *File) String(key string) (string, bool) {
	v, _ := f.Get(key)
	s, ok := v.V.(string)
	return s, ok && v.Type == ValueString
}

// Uint returns the value of key if it is an integer of any width and not
// negative.
func (f *File) Uint(key string) (uint64, bool) {
	v, _ := f.Get(key)
	return v.Uint()
}

// Int returns the value of key if it is an integer of any width that fits an
// int64.
func (f *File) Int(key string) (int64, bool) {
	v, _ := f.Get(key)
	return v.Int()
}

// Float returns the value of key if it is a float32 or float64.
func (f *File) Float(key string) (float64, bool) {
	v, _ := f.Get(key)
	return v.Float()
}

// Bool returns the value of key if it is a bool.
func (f *File) Bool(key string) (bool, bool) {
	v, _ := f.Get(key)
	b, ok := v.V.(bool)
	return b, ok && v.Type == ValueBool
}

// Strings returns the value of key if it is an array of strings. The slice is
// shared with the File; do not modify it.
func (f *File) Strings(key string) ([]string, bool) {
	v, _ := f.Get(key)
	s, ok := v.V.([]string)
	return s, ok && v.Type == ValueArray && v.Elem == ValueString
}
