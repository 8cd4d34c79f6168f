package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/catalog/hub"
)

// TestExplain checks the words given for the errors a user meets, wrapped
// as the code that returns them wraps them.
func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		err        error
		what, next string // parts of the words
	}{
		{fmt.Errorf("download x: %w", &hub.StatusError{URL: "u", Code: 401}), "accept their terms", "access token"},
		{fmt.Errorf("download x: %w", &hub.StatusError{URL: "u", Code: 403}), "accept their terms", "Settings"},
		{fmt.Errorf("%w: it has spaces", service.ErrBadToken), "not an access token", "huggingface.co/settings/tokens"},
		{fmt.Errorf("download x: %w", &hub.StatusError{URL: "u", Code: 404}), "no longer on Hugging Face", "another"},
		{fmt.Errorf("download x: %w", fmt.Errorf("%w: gave up after 5 tries: %w", hub.ErrUnreachable, &hub.StatusError{URL: "u", Code: 503})),
			"could not reach Hugging Face", "where it stopped"},
		{fmt.Errorf("download x: %w", fmt.Errorf("%w: gave up after 5 tries: %w", hub.ErrUnreachable, io.ErrUnexpectedEOF)),
			"could not reach Hugging Face", "where it stopped"},
		{fmt.Errorf("download x: %w", &url.Error{Op: "Get", URL: "u", Err: syscall.ECONNREFUSED}), "could not reach Hugging Face", "internet connection"},
		{fmt.Errorf("download x: %w", fmt.Errorf("%w: got sha256 a", hub.ErrChecksum)), "damaged", "again"},
		{fmt.Errorf("download x: %w", fmt.Errorf("%w: x needs 2 GiB more", hub.ErrNoSpace)), "not enough free disk space", "needs 2 GiB more"},
		{fmt.Errorf("download m.gguf: %w", &fs.PathError{Op: "write", Path: "m.gguf", Err: syscall.ENOSPC}), "The disk is full.", "Free some space"},
		// bbolt flattens the error of growing the catalog's file.
		{errors.New("add model: file resize error: truncate catalog.db: no space left on device"), "The disk is full.", ""},
		{errors.New("add model: mmap allocate error: truncate: There is not enough space on the disk."), "The disk is full.", ""},
		{&fs.PathError{Op: "write", Path: "m.gguf", Err: syscall.EIO}, "Something went wrong.", "Write m.gguf"},
		{fmt.Errorf("import: %w", catalog.ErrExists), "already in your library", "Find it"},
		{fmt.Errorf("get: %w", context.Canceled), "Cancelled.", ""},
		{fmt.Errorf("something odd"), "Something went wrong.", "Something odd."},
	} {
		what, next := Explain(tc.err)
		if !strings.Contains(what, tc.what) || !strings.Contains(next, tc.next) {
			t.Errorf("Explain(%v) = %q, %q; want %q and %q in them", tc.err, what, next, tc.what, tc.next)
		}
	}
}
