package hfconvert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// config is a model's config.json: the script's hparams dictionary.
type config map[string]any

// readConfig reads dir/config.json, keeping numbers as written (json.Number)
// so that integers and floats stay apart.
func readConfig(dir string) (config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s has no config.json: it is not a Hugging Face model folder", dir)
	}
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var c config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	return c, nil
}

// architecture returns config.json's architectures[0].
func (c config) architecture() (string, error) {
	list, _ := c["architectures"].([]any)
	if len(list) == 0 {
		return "", errors.New("config.json has no architectures list")
	}
	name, ok := list[0].(string)
	if !ok {
		return "", errors.New("config.json: architectures[0] is not a string")
	}
	return name, nil
}

// uint returns key as a non-negative integer that fits a uint32 (every count
// the script writes is a GGUF uint32). ok is false when key is absent or null.
func (c config) uint(key string) (v uint32, ok bool, err error) {
	n, isNum := c[key].(json.Number)
	if c[key] == nil {
		return 0, false, nil
	}
	var i int64
	if isNum {
		i, err = n.Int64()
	}
	if !isNum || err != nil || i < 0 || i > 1<<32-1 {
		return 0, false, fmt.Errorf("config.json: %s is %v, not a whole number", key, c[key])
	}
	return uint32(i), true, nil
}

// float returns key as a number.
func (c config) float(key string) (v float64, ok bool, err error) {
	if c[key] == nil {
		return 0, false, nil
	}
	n, isNum := c[key].(json.Number)
	if !isNum {
		return 0, false, fmt.Errorf("config.json: %s is %v, not a number", key, c[key])
	}
	v, err = n.Float64()
	if err != nil {
		return 0, false, fmt.Errorf("config.json: %s: %w", key, err)
	}
	return v, true, nil
}

// first returns the first of keys that is present, as the script's
// find_hparam: "" when none is.
func (c config) first(keys ...string) string {
	for _, k := range keys {
		if _, ok := c[k]; ok {
			return k
		}
	}
	return ""
}

// need returns a required count: an error names the keys when none is there.
func (c config) need(keys ...string) (uint32, error) {
	k := c.first(keys...)
	if k == "" {
		return 0, fmt.Errorf("config.json lacks %s", strings.Join(keys, " / "))
	}
	v, ok, err := c.uint(k)
	if err == nil && !ok {
		err = fmt.Errorf("config.json: %s is null", k)
	}
	return v, err
}

// ropeScaling returns config.json's rope_scaling object, nil when absent or
// null.
func (c config) ropeScaling() map[string]any {
	m, _ := c["rope_scaling"].(map[string]any)
	return m
}

// Architectures lists the Hugging Face architectures Convert supports.
func Architectures() []string {
	var names []string
	for name := range archs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
