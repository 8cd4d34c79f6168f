package hw

import "testing"

func TestReadMemory(t *testing.T) {
	m, err := ReadMemory()
	if err != nil {
		t.Skipf("memory size unknown on this machine: %v", err)
	}
	if m.Total < 64<<20 || m.Available == 0 || m.Available > m.Total {
		t.Errorf("implausible memory: total %d, available %d", m.Total, m.Available)
	}
}
