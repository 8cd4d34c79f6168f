package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Variant is one file of a model at one quantization level.
type Variant struct {
	ID      uint64 `json:"id"`
	ModelID uint64 `json:"model_id"`
	// Tag names the variant within its model, unique there: its level
	// ("Q4_K_M"), "unknown" when the file does not say, with "-2", "-3"...
	// for a second file at the same level.
	Tag   string `json:"tag"`
	Level string `json:"level,omitempty"` // the quantization mix ("Q4_K_M"), "" if unknown
	Path  string `json:"path"`            // absolute
	Size  int64  `json:"size"`            // bytes, as imported
	// SHA256 is the file's hash in hex, "" until computed (Import hashes in
	// the background; see Hash).
	SHA256        string `json:"sha256,omitempty"`
	QuantizedFrom uint64 `json:"quantized_from,omitempty"` // the variant Nibble made it from, or 0
	// Quality and Speed are nil until measured.
	Quality *Quality `json:"quality,omitempty"`
	Speed   *Speed   `json:"speed,omitempty"`
	// Owned is true for Nibble's own copy in the models folder, deleted with
	// the entry; false for the user's file, referenced where it is and never
	// deleted unless asked.
	Owned bool `json:"owned"`
	// Missing is set by Reconcile when the file is gone (shown to the user,
	// who may bring it back or remove the entry), cleared when it is back.
	Missing bool      `json:"missing,omitempty"`
	Added   time.Time `json:"added"`
}

// Quality is how close a variant's predictions are to a reference variant's
// (the unquantized model, usually) on an evaluation text.
type Quality struct {
	Reference uint64    `json:"reference"` // the variant compared with
	KLD       float64   `json:"kld"`       // mean KL divergence of the token distributions
	SameTop   float64   `json:"same_top"`  // fraction of positions with the same most likely token, 0..1
	PPL       float64   `json:"ppl"`       // perplexity of the evaluation text
	Measured  time.Time `json:"measured"`
	// PPLReference is the reference's perplexity of the same text (0:
	// not measured).
	PPLReference float64 `json:"ppl_reference,omitempty"`
	// Multi-step agreement: writing greedily from prompts of the text,
	// the variant wrote AgreementTokens tokens on average before its first
	// token different from the reference's, out of AgreementOf (0: not
	// measured).
	AgreementTokens float64 `json:"agreement_tokens,omitempty"`
	AgreementOf     int     `json:"agreement_of,omitempty"`
}

// Speed is how fast a variant generated on this computer.
type Speed struct {
	TokensPerSecond float64   `json:"tokens_per_second"`
	Measured        time.Time `json:"measured"`
}

// SetQuality records variant id's measured quality and returns the variant.
func (c *Catalog) SetQuality(id uint64, q Quality) (Variant, error) {
	return c.updateVariant(id, func(v *Variant) error { v.Quality = &q; return nil })
}

// SetSpeed records variant id's measured speed and returns the variant.
func (c *Catalog) SetSpeed(id uint64, s Speed) (Variant, error) {
	return c.updateVariant(id, func(v *Variant) error { v.Speed = &s; return nil })
}

// updateVariant applies change to variant id in one transaction.
func (c *Catalog) updateVariant(id uint64, change func(*Variant) error) (Variant, error) {
	var v Variant
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketVariants)
		ok, err := get(b, key(id), &v)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("variant %d: %w", id, ErrNotFound)
		}
		if err := change(&v); err != nil {
			return err
		}
		return put(b, key(id), v)
	})
	return v, err
}

// Remove deletes the variants ids in one transaction, with every model left
// without variants; then it stops their hashing and deletes the files of
// Nibble's copies among them and, if deleteUserFiles, the user's files too.
// A file that cannot be deleted is reported in the error, its entry being
// gone all the same (Reconcile then lists a copy as an orphan). An unknown
// id removes nothing and gives an error wrapping ErrNotFound. It returns the
// removed variants.
func (c *Catalog) Remove(ids []uint64, deleteUserFiles bool) ([]Variant, error) {
	var removed []Variant
	err := c.db.Update(func(tx *bolt.Tx) error {
		vb, mb := tx.Bucket(bucketVariants), tx.Bucket(bucketModels)
		touched := map[uint64]bool{}
		for _, id := range ids {
			var v Variant
			ok, err := get(vb, key(id), &v)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("variant %d: %w", id, ErrNotFound)
			}
			if err := vb.Delete(key(id)); err != nil {
				return err
			}
			removed = append(removed, v)
			touched[v.ModelID] = true
		}
		left, err := all[Variant](vb)
		if err != nil {
			return err
		}
		for _, v := range left {
			delete(touched, v.ModelID)
		}
		for id := range touched {
			if err := mb.Delete(key(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("remove from catalog: %w", err)
	}
	var errs []error
	for _, v := range removed {
		c.stopHashing(v.ID) // Windows cannot delete a file open for hashing
		if !v.Owned && !deleteUserFiles {
			continue
		}
		if err := os.Remove(v.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removed from the catalog but could not delete the file: %w", err))
		}
	}
	return removed, errors.Join(errs...)
}

// hashJob is a Hash in progress.
type hashJob struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Hash computes the SHA-256 of variant id's file and stores it, returning
// the variant. Cost: one pass over the file, as fast as the disk reads.
// progress, if not nil, is called from this goroutine with the bytes hashed
// so far and the file's size. Cancelling ctx, removing the variant or
// closing the catalog stops it with an error, the variant keeping an empty
// SHA256. A file whose size changed since its import is not hashed.
func (c *Catalog) Hash(ctx context.Context, id uint64, progress func(done, total int64)) (Variant, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	job := &hashJob{cancel: cancel, done: make(chan struct{})}
	defer close(job.done)
	c.mu.Lock()
	if c.closing.Err() != nil {
		c.mu.Unlock()
		return Variant{}, fmt.Errorf("hash variant %d: catalog closed", id)
	}
	if c.jobs[id] != nil {
		c.mu.Unlock()
		return Variant{}, fmt.Errorf("hash variant %d: already being hashed", id)
	}
	c.jobs[id] = job
	c.wg.Add(1)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.jobs, id)
		c.mu.Unlock()
		c.wg.Done()
	}()
	defer context.AfterFunc(c.closing, cancel)()

	var v Variant
	err := c.db.View(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bucketVariants), key(id), &v)
		if err == nil && !ok {
			err = fmt.Errorf("variant %d: %w", id, ErrNotFound)
		}
		return err
	})
	if err != nil {
		return Variant{}, fmt.Errorf("hash: %w", err)
	}
	sum, err := hashFile(ctx, v.Path, v.Size, progress)
	if err != nil {
		return Variant{}, err
	}
	return c.updateVariant(id, func(have *Variant) error {
		if have.Path != v.Path || have.Size != v.Size {
			return fmt.Errorf("hash %s: the entry changed meanwhile", v.Path)
		}
		have.SHA256 = sum
		return nil
	})
}

// stopHashing cancels the hashing of variant id, if any, and waits for it
// to end.
func (c *Catalog) stopHashing(id uint64) {
	c.mu.Lock()
	job := c.jobs[id]
	c.mu.Unlock()
	if job != nil {
		job.cancel()
		<-job.done
	}
}

// hashFile returns the hex SHA-256 of the file at path, which must have size
// bytes.
func hashFile(ctx context.Context, path string, size int64, progress func(done, total int64)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	if st.Size() != size {
		return "", fmt.Errorf("hash %s: the file changed since it was imported (%d bytes, was %d)", path, st.Size(), size)
	}
	sum, n, err := hashCopy(ctx, io.Discard, f, size, progress)
	if err == nil && n != size {
		err = fmt.Errorf("the file changed while being read (%d bytes, was %d)", n, size)
	}
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return sum, nil
}

// hashCopy copies r to w, returning the hex SHA-256 of the bytes and their
// count, checking ctx and calling progress (if not nil) after every chunk.
func hashCopy(ctx context.Context, w io.Writer, r io.Reader, total int64, progress func(done, total int64)) (string, int64, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return "", done, err
		}
		n, err := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, werr := w.Write(buf[:n]); werr != nil {
				return "", done, werr
			}
			done += int64(n)
			if progress != nil {
				progress(done, total)
			}
		}
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), done, nil
		}
		if err != nil {
			return "", done, err
		}
	}
}
