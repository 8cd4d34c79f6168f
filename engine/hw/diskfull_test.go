package hw

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestDiskFull(t *testing.T) {
	type test struct {
		name string
		err  error
		want bool
	}
	tests := []test{
		{"nil", nil, false},
		{"wrapped ENOSPC", fmt.Errorf("write the download: %w", syscall.ENOSPC), true},
		{"ENOSPC in a PathError", &fs.PathError{Op: "write", Path: "model.gguf", Err: syscall.ENOSPC}, true},
		{"another errno", &fs.PathError{Op: "write", Path: "model.gguf", Err: syscall.EACCES}, false},
		{"not an errno", fs.ErrNotExist, false},
		{"flattened into text", errors.New("write model.gguf: no space left on device"), false},
	}
	for _, e := range platformDiskFull {
		tests = append(tests, test{fmt.Sprintf("%v in a PathError", e), &fs.PathError{Op: "write", Path: "model.gguf", Err: e}, true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DiskFull(tt.err); got != tt.want {
				t.Errorf("DiskFull(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
