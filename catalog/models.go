package catalog

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// Model is one model whatever its quantization level: what its GGUF
// metadata says, shared by its variants.
type Model struct {
	ID uint64 `json:"id"`
	// Name is unique in the catalog and what commands take ("tinyllama-1.1b"):
	// the display name in lower case, spaces and punctuation turned to '-'.
	Name          string    `json:"name"`
	DisplayName   string    `json:"display_name"` // general.name, or from the file name
	Architecture  string    `json:"architecture"` // general.architecture ("llama")
	Parameters    uint64    `json:"parameters"`   // total elements of all tensors
	ContextLength uint64    `json:"context_length,omitempty"`
	Source        string    `json:"source"`            // the path or URL it came from
	License       string    `json:"license,omitempty"` // general.license, if the file says
	Added         time.Time `json:"added"`
}

// Ref returns how commands name variant v of m: "name:tag".
func (m Model) Ref(v Variant) string { return m.Name + ":" + v.Tag }

// Entry is a model with its variants, sorted by tag.
type Entry struct {
	Model    Model
	Variants []Variant
}

// List returns every model with its variants, sorted by name. Cost: one read
// transaction decoding the whole models and variants buckets (a catalog
// holds tens of entries, not thousands).
func (c *Catalog) List() ([]Entry, error) {
	var out []Entry
	err := c.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = entries(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list catalog: %w", err)
	}
	return out, nil
}

// Lookup finds a model by name ("tinyllama-1.1b": the Entry has all its
// variants) or one variant by "name:tag" ("tinyllama-1.1b:q4_k_m": the Entry
// has that variant only), ignoring case. It returns an error wrapping
// ErrNotFound if there is none. Cost: as List.
func (c *Catalog) Lookup(ref string) (Entry, error) {
	name, tag, hasTag := strings.Cut(ref, ":")
	all, err := c.List()
	if err != nil {
		return Entry{}, err
	}
	for _, e := range all {
		if !strings.EqualFold(e.Model.Name, name) {
			continue
		}
		if !hasTag {
			return e, nil
		}
		for _, v := range e.Variants {
			if strings.EqualFold(v.Tag, tag) {
				e.Variants = []Variant{v}
				return e, nil
			}
		}
	}
	return Entry{}, fmt.Errorf("%s: %w", ref, ErrNotFound)
}

// LookupFile finds the variant whose file is path (compared as absolute
// paths with symbolic links resolved): the Entry has its model and that
// variant only, and others the model's other variants (to reuse what was
// measured on them). It returns an error wrapping ErrNotFound if no variant
// has that file. Cost: as List.
func (c *Catalog) LookupFile(path string) (e Entry, others []Variant, err error) {
	want := canonicalPath(path)
	all, err := c.List()
	if err != nil {
		return Entry{}, nil, err
	}
	for _, e := range all {
		for i, v := range e.Variants {
			if canonicalPath(v.Path) == want {
				others = slices.Delete(slices.Clone(e.Variants), i, i+1)
				e.Variants = []Variant{v}
				return e, others, nil
			}
		}
	}
	return Entry{}, nil, fmt.Errorf("%s: %w", path, ErrNotFound)
}

// canonicalPath is path made absolute with symbolic links resolved, as far
// as it exists.
func canonicalPath(path string) string {
	if p, err := filepath.Abs(path); err == nil {
		path = p
	}
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	return path
}

// entries reads every model and variant in tx.
func entries(tx *bolt.Tx) ([]Entry, error) {
	models, err := all[Model](tx.Bucket(bucketModels))
	if err != nil {
		return nil, err
	}
	variants, err := all[Variant](tx.Bucket(bucketVariants))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(models))
	index := map[uint64]int{}
	for i, m := range models {
		out[i].Model = m
		index[m.ID] = i
	}
	for _, v := range variants {
		if i, ok := index[v.ModelID]; ok {
			out[i].Variants = append(out[i].Variants, v)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Model.Name, b.Model.Name) })
	for _, e := range out {
		slices.SortFunc(e.Variants, func(a, b Variant) int { return cmp.Compare(a.Tag, b.Tag) })
	}
	return out, nil
}

// modelFor returns the model in tx that m (read from a file being imported)
// is a variant of: same name, architecture and parameter count, the count
// being the same at every quantization level. If there is none, it stores m
// as a new model, under a name made unique with "-2", "-3"... if another
// model has it.
func modelFor(tx *bolt.Tx, m Model) (Model, error) {
	models, err := all[Model](tx.Bucket(bucketModels))
	if err != nil {
		return Model{}, err
	}
	base := NameOf(m.DisplayName)
	taken := map[string]bool{}
	for _, have := range models {
		if have.Name == base && have.Architecture == m.Architecture && have.Parameters == m.Parameters {
			return have, nil
		}
		taken[have.Name] = true
	}
	m.Name = unique(base, taken)
	b := tx.Bucket(bucketModels)
	if m.ID, err = b.NextSequence(); err != nil {
		return Model{}, err
	}
	return m, put(b, key(m.ID), m)
}

// NameOf is the name (Model.Name) the catalog gives a model whose display
// name is display, unless another model has it: lower case, letters,
// digits, '.' and '_' kept, every other run of characters one '-'.
func NameOf(display string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(display) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "model"
	}
	return b.String()
}

// unique returns s, or s-2, s-3... whichever is not taken.
func unique(s string, taken map[string]bool) string {
	u := s
	for i := 2; taken[u]; i++ {
		u = fmt.Sprintf("%s-%d", s, i)
	}
	return u
}
