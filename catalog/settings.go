package catalog

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// SettingModelsDir is the setting holding the models folder, where Nibble
// keeps its own copies; see ModelsDir.
const SettingModelsDir = "models_dir"

// Setting returns the value of setting key and whether it is set.
func (c *Catalog) Setting(key string) (string, bool, error) {
	var value []byte
	err := c.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSettings).Get([]byte(key)); v != nil {
			value = append([]byte(nil), v...) // v is valid only in the transaction
		}
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return string(value), value != nil, nil
}

// SetSetting sets setting key to value.
func (c *Catalog) SetSetting(key, value string) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSettings).Put([]byte(key), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("save setting %s: %w", key, err)
	}
	return nil
}

// DeleteSetting unsets setting key; one not set is not an error.
func (c *Catalog) DeleteSetting(key string) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSettings).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete setting %s: %w", key, err)
	}
	return nil
}

// ModelsDir returns the folder where Nibble keeps its copies of models: the
// models_dir setting, by default "models" in the catalog's folder.
func (c *Catalog) ModelsDir() (string, error) {
	dir, ok, err := c.Setting(SettingModelsDir)
	if err != nil || ok {
		return dir, err
	}
	return filepath.Join(c.dir, "models"), nil
}

// SetModelsDir makes dir, created if needed, the folder for Nibble's future
// copies. Copies already made stay where they are (their entries hold their
// paths); Reconcile looks for orphans in the new folder only.
func (c *Catalog) SetModelsDir(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("set models folder: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return fmt.Errorf("set models folder: %w", err)
	}
	return c.SetSetting(SettingModelsDir, abs)
}

// modelsDirReady returns the models folder, created if needed.
func (c *Catalog) modelsDirReady() (string, error) {
	dir, err := c.ModelsDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create the models folder: %w", err)
	}
	return dir, nil
}
