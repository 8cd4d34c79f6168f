package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"nibble/engine/gguf"
	"nibble/quant"
)

const inspectUsage = `Usage: nibble inspect FILE.gguf [--json]

Shows what a GGUF model file holds: architecture, parameter count, context
length, quantization level, its metadata (long lists shortened) and its
tensors with type, shape and size.
`

type inspectOptions struct {
	path   string
	asJSON bool
}

func runInspectCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o inspectOptions
	fs := newFlagSet("inspect", stderr, func(w io.Writer) { fmt.Fprint(w, inspectUsage) })
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of text")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	o.path = pos[0]
	return runInspect(o, stdout)
}

// inspection is what `nibble inspect --json` prints.
type inspection struct {
	File          string            `json:"file"`
	GGUFVersion   uint32            `json:"gguf_version"`
	Architecture  string            `json:"architecture"`
	Name          string            `json:"name,omitempty"`
	Parameters    uint64            `json:"parameters"`
	ContextLength uint64            `json:"context_length,omitempty"`
	FileType      string            `json:"file_type,omitempty"`
	TensorBytes   uint64            `json:"tensor_bytes"`
	Metadata      []inspectKV       `json:"metadata"`
	Tensors       []inspectTensor   `json:"tensors"`
	TypeCounts    map[string]uint64 `json:"tensor_types"`
}

type inspectKV struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"` // long arrays are replaced by an arraySummary
}

type inspectTensor struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	Shape []uint64 `json:"shape"`
	Bytes uint64   `json:"bytes"`
}

// arrayPreview is how many elements of an array metadata value are shown;
// vocabularies have hundreds of thousands.
const arrayPreview = 8

func runInspect(o inspectOptions, stdout io.Writer) error {
	f, err := gguf.Open(o.path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := describe(o.path, f)
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	printInspection(stdout, in)
	return nil
}

func describe(path string, f *gguf.File) inspection {
	in := inspection{
		File:         path,
		GGUFVersion:  f.Version,
		Architecture: f.Architecture(),
		Parameters:   f.ParamCount(),
		TypeCounts:   map[string]uint64{},
	}
	in.Name, _ = f.String("general.name")
	in.ContextLength, _ = f.Uint(in.Architecture + ".context_length")
	if ft, ok := f.Uint("general.file_type"); ok {
		if m, ok := quant.MixForFileType(uint32(ft)); ok {
			in.FileType = m.Name
		} else {
			in.FileType = fmt.Sprintf("file type %d", ft)
		}
	}
	for _, kv := range f.KV {
		in.Metadata = append(in.Metadata, inspectKV{kv.Key, valueType(kv.Value), previewValue(kv.Value)})
	}
	for _, t := range f.Tensors {
		in.Tensors = append(in.Tensors, inspectTensor{t.Name, t.Type.String(), t.Dims, t.Bytes()})
		in.TensorBytes += t.Bytes()
		in.TypeCounts[t.Type.String()]++
	}
	return in
}

func valueType(v gguf.Value) string {
	if v.Type == gguf.ValueArray {
		return "array[" + v.Elem.String() + "]"
	}
	return v.Type.String()
}

// previewValue returns v's Go value, with arrays longer than arrayPreview
// replaced by a summary of their first elements and their length.
func previewValue(v gguf.Value) any {
	if v.Type != gguf.ValueArray {
		return v.V
	}
	a := reflect.ValueOf(v.V)
	if a.Len() <= arrayPreview {
		return v.V
	}
	return arraySummary{Count: a.Len(), First: a.Slice(0, arrayPreview).Interface()}
}

// arraySummary stands for a long metadata array in inspect's output.
type arraySummary struct {
	Count int `json:"count"`
	First any `json:"first"`
}

func (s arraySummary) String() string {
	first := strings.TrimSuffix(fmt.Sprintf("%q", s.First), "]")
	if _, ok := s.First.([]string); !ok {
		first = strings.TrimSuffix(fmt.Sprint(s.First), "]")
	}
	return fmt.Sprintf("%s ...] (%d elements)", first, s.Count)
}

func printInspection(w io.Writer, in inspection) {
	fmt.Fprintf(w, "file:          %s (GGUF v%d)\n", in.File, in.GGUFVersion)
	if in.Name != "" {
		fmt.Fprintf(w, "name:          %s\n", in.Name)
	}
	fmt.Fprintf(w, "architecture:  %s\n", in.Architecture)
	fmt.Fprintf(w, "parameters:    %s (%d)\n", humanize.SIWithDigits(float64(in.Parameters), 2, ""), in.Parameters)
	if in.ContextLength > 0 {
		fmt.Fprintf(w, "context:       %d tokens\n", in.ContextLength)
	}
	if in.FileType != "" {
		fmt.Fprintf(w, "file type:     %s\n", in.FileType)
	}
	fmt.Fprintf(w, "tensor data:   %s in %d tensors\n", humanize.IBytes(in.TensorBytes), len(in.Tensors))

	fmt.Fprintln(w, "\nmetadata:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, kv := range in.Metadata {
		fmt.Fprintf(tw, "  %s\t%s\t%v\n", kv.Key, kv.Type, kv.Value)
	}
	tw.Flush()

	fmt.Fprintln(w, "\ntensors:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  name\ttype\tshape\tsize")
	for _, t := range in.Tensors {
		fmt.Fprintf(tw, "  %s\t%s\t%v\t%s\n", t.Name, t.Type, t.Shape, humanize.IBytes(t.Bytes))
	}
	tw.Flush()
}
