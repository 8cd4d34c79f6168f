package sample

import (
	"math"
	"slices"
	"testing"
)

func TestGreedy(t *testing.T) {
	tests := []struct {
		name    string
		logits  []float32
		history []int32
		penalty float32
		want    int32
	}{
		{"max", []float32{0.1, 3, -2, 2.9}, nil, 1, 1},
		{"tie goes to the lower id", []float32{1, 5, 5, 0}, nil, 1, 1},
		{"penalty moves a repeated positive token down", []float32{0, 3, 2.9, 0}, []int32{1}, 1.1, 2},
		{"penalty makes a negative token more negative", []float32{-1, -1.05, -3, -4}, []int32{0}, 1.1, 1},
		{"each repeated token is penalised once", []float32{0, 3, 2.5, 0}, []int32{1, 1, 1}, 1.1, 1},
	}
	for _, tc := range tests {
		s := New(Params{RepeatPenalty: tc.penalty, RepeatLastN: 64})
		if got := s.Sample(tc.logits, tc.history); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

// draw returns how often each token was drawn in n samples.
func draw(p Params, logits []float32, n int) []int {
	s := New(p)
	counts := make([]int, len(logits))
	for range n {
		counts[s.Sample(logits, nil)]++
	}
	return counts
}

func TestFilters(t *testing.T) {
	// probabilities at temperature 1: 0.5, 0.25, 0.125, 0.0625, 0.0625
	logits := []float32{
		float32(math.Log(0.5)), float32(math.Log(0.25)), float32(math.Log(0.125)),
		float32(math.Log(0.0625)), float32(math.Log(0.0625)),
	}
	tests := []struct {
		name    string
		p       Params
		allowed []bool // which tokens may ever be drawn
	}{
		{"all", Params{Temperature: 1}, []bool{true, true, true, true, true}},
		{"top-k 2", Params{Temperature: 1, TopK: 2}, []bool{true, true, false, false, false}},
		{"top-p 0.7", Params{Temperature: 1, TopP: 0.7}, []bool{true, true, false, false, false}},
		{"top-p 0.76", Params{Temperature: 1, TopP: 0.76}, []bool{true, true, true, false, false}},
		{"min-p 0.3", Params{Temperature: 1, MinP: 0.3}, []bool{true, true, false, false, false}},
		{"min-p 0.2", Params{Temperature: 1, MinP: 0.2}, []bool{true, true, true, false, false}},
	}
	for _, tc := range tests {
		counts := draw(tc.p, logits, 4000)
		for id, n := range counts {
			if tc.allowed[id] != (n > 0) {
				t.Errorf("%s: token %d drawn %d times, allowed %v", tc.name, id, n, tc.allowed[id])
			}
		}
	}
}

func TestTemperatureShapesTheDistribution(t *testing.T) {
	logits := []float32{float32(math.Log(0.75)), float32(math.Log(0.25))}
	const n = 20000
	for _, tc := range []struct {
		temp float32
		want float64 // probability of token 0
	}{
		{1, 0.75},
		{0.5, 0.9}, // 0.75²/(0.75²+0.25²)
		{2, 0.634}, // √0.75/(√0.75+√0.25)
	} {
		got := float64(draw(Params{Temperature: tc.temp, Seed: 7}, logits, n)[0]) / n
		if math.Abs(got-tc.want) > 0.015 {
			t.Errorf("temperature %v: token 0 drawn %.3f of the time, want %.3f", tc.temp, got, tc.want)
		}
	}
}

func TestSeedReproduces(t *testing.T) {
	logits := make([]float32, 100)
	for i := range logits {
		logits[i] = float32(i%7) * 0.3
	}
	p := Defaults()
	p.Seed = 42
	a, b := draw(p, logits, 500), draw(p, logits, 500)
	p.Seed = 43
	c := draw(p, logits, 500)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different draws")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same 500 draws")
	}
}
