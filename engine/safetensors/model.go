package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IndexFile is the name of the JSON file that lists which shard holds each
// tensor of a sharded model: {"metadata": {...}, "weight_map": {name: file}}.
const IndexFile = "model.safetensors.index.json"

// Model is the set of safetensors files of a Hugging Face model folder.
type Model struct {
	Files   []*File // the parts, sorted by file name
	Tensors []Ref   // every tensor, in the order convert_hf_to_gguf.py reads them
}

// Ref is one tensor of a Model and the file that holds it.
type Ref struct {
	Tensor
	File *File
}

// Data returns the tensor's bytes (see File.Data).
func (r Ref) Data() []byte { return r.File.Data(r.Tensor) }

// OpenModel opens every model*.safetensors file in dir, in name order, the
// way llama.cpp's convert_hf_to_gguf.py finds the parts: tensors are listed
// file by file, sorted by name within each. When dir holds IndexFile, its
// weight_map must name exactly the tensors found: a shard it names that is
// not there, or a tensor missing from the shard it names, is an error naming
// it. The caller must Close the Model.
func OpenModel(dir string) (*Model, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "model") && strings.HasSuffix(n, ".safetensors") {
			parts = append(parts, n)
		}
	}
	slices.Sort(parts)

	weightMap, err := ReadIndex(dir)
	if err != nil {
		return nil, err
	}
	for _, shard := range weightMap {
		if !slices.Contains(parts, shard) {
			return nil, fmt.Errorf("missing shard file %s (listed in %s) in %s", shard, IndexFile, dir)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("no model.safetensors or model-*.safetensors file in %s", dir)
	}

	m := &Model{}
	seen := map[string]string{}
	for _, p := range parts {
		f, err := Open(filepath.Join(dir, p))
		if err != nil {
			m.Close()
			return nil, err
		}
		m.Files = append(m.Files, f)
		for _, t := range f.Tensors {
			if other, dup := seen[t.Name]; dup {
				m.Close()
				return nil, fmt.Errorf("tensor %s is in both %s and %s", t.Name, other, p)
			}
			seen[t.Name] = p
			if weightMap != nil {
				if _, listed := weightMap[t.Name]; !listed {
					m.Close()
					return nil, fmt.Errorf("tensor %s in %s is not listed in %s", t.Name, p, IndexFile)
				}
			}
			m.Tensors = append(m.Tensors, Ref{Tensor: t, File: f})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(weightMap)) {
		if _, ok := seen[name]; !ok {
			m.Close()
			return nil, fmt.Errorf("tensor %s is missing from %s (%s says it is there)", name, weightMap[name], IndexFile)
		}
	}
	return m, nil
}

// ReadIndex returns the weight_map of dir's IndexFile (tensor name → shard
// file name), nil if there is none.
func ReadIndex(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &index); err != nil {
		return nil, fmt.Errorf("%s: %w", IndexFile, err)
	}
	if index.WeightMap == nil {
		return nil, fmt.Errorf("%s has no weight_map", IndexFile)
	}
	return index.WeightMap, nil
}

// Close closes every file. Closing twice is harmless.
func (m *Model) Close() error {
	var errs []error
	for _, f := range m.Files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
