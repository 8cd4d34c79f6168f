package advise

import "math"

// priorKLD is the mean KL divergence from the 16-bit model that llama.cpp
// published for each level on Llama-3-8B without an importance matrix
// (tools/perplexity/README.md, "LLaMA 3 8b Scoreboard", revision f364eb6f,
// Wikitext-2). The table measures every level Nibble offers, so none is
// interpolated. The float levels lose nothing: 0.
var priorKLD = map[string]float64{
	"F32": 0, "F16": 0, "BF16": 0,
	"Q8_0":   0.001355,
	"Q6_K":   0.005452,
	"Q5_K_M": 0.010762,
	"Q5_K_S": 0.016595,
	"Q5_1":   0.018045,
	"Q5_0":   0.022239,
	"Q4_K_M": 0.031273,
	"Q4_K_S": 0.043136,
	"Q4_1":   0.071683,
	"Q4_0":   0.071940,
	"Q3_K_L": 0.087176,
	"Q3_K_M": 0.101913,
	"Q3_K_S": 0.228217,
	"Q2_K":   0.445132,
}

// topAnchors are the (KL divergence, same-top-token rate) pairs the same
// README publishes for Llama-3-8B ("Same top p": Q8_0, Q6_K, Q4_K_M, Q2_K).
var topAnchors = []struct{ kld, same float64 }{
	{0.001355, 0.97674},
	{0.005452, 0.96031},
	{0.031273, 0.91901},
	{0.445132, 0.71138},
}

// SameTopToken estimates how often a model whose KL divergence from the
// original is kld picks the same most likely next token as the original
// (greedy decoding agrees), from 0 to 1. Between the published points the
// miss rate (1 − rate) is interpolated as a power of kld — a straight line on
// a log-log plot, where the four points lie nearly on one; beyond them the
// nearest segment is extended, so kld 0 gives 1.
func SameTopToken(kld float64) float64 {
	if kld <= 0 {
		return 1
	}
	i := 0
	for i < len(topAnchors)-2 && kld > topAnchors[i+1].kld {
		i++
	}
	a, b := topAnchors[i], topAnchors[i+1]
	slope := math.Log((1-b.same)/(1-a.same)) / math.Log(b.kld/a.kld)
	miss := (1 - a.same) * math.Pow(kld/a.kld, slope)
	return max(0, 1-miss)
}

// Quality is a level's loss of quality in plain words.
type Quality string

const (
	NoLoss     Quality = "almost identical to the original"
	SmallLoss  Quality = "small loss"
	Noticeable Quality = "noticeable loss"
	LargeLoss  Quality = "large loss — not recommended"
)

// QualityOf puts a KL divergence into words. The bounds follow the
// same-top-token rate (SameTopToken) a reader can picture: below 0.015 the
// model picks the original's next word about 94 % of the time or more (Q8_0,
// Q6_K, Q5_K_M); below 0.05, 90 % (Q5_K_S to Q4_K_S); below 0.15, 83 % (Q4_1
// to Q3_K_M); beyond, the loss is large (Q3_K_S, Q2_K: one word in four to
// six differs, and perplexity rises by 25 to 55 %).
func QualityOf(kld float64) Quality {
	switch {
	case kld < 0.015:
		return NoLoss
	case kld < 0.05:
		return SmallLoss
	case kld < 0.15:
		return Noticeable
	}
	return LargeLoss
}
