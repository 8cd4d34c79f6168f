package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"nibble/engine/refdata"
)

// TestKLDCommand compares Q4_K_M with F32 on the whole of heldout-a as
// llama-perplexity --kl-divergence did (text/reference.json).
func TestKLDCommand(t *testing.T) {
	stdout, _, err := run(t, "kld", refdata.Path(t, "models/ts5m-F32.gguf"), refdata.Path(t, "models/ts5m-Q4_K_M.gguf"),
		"--text-file", refdata.Path(t, "text/heldout-a.txt"), "--ctx", "128", "--prompts", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"[86]0.004164,",
		"86 chunks of 128 tokens, 5418 tokens scored",
		"mean      0.004164 ± 0.000092   (almost identical to the original)", // llama.cpp: 0.004164 ± 0.000092
		"median    0.002899", "99%       0.023460", "maximum   0.285423",
		"same top token: 95.829 ± 0.272 %",
		"base 30.4380 ± 1.24639, variant 30.4852 ± 1.24739, ΔPPL +0.0471",
		"agreement on 2 prompts: ..", "of 64 tokens on average", "(2 prompts of 32 tokens)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestKLDJSON(t *testing.T) {
	stdout, _, err := run(t, "kld", refdata.Path(t, "models/ts5m-F32.gguf"), refdata.Path(t, "models/ts5m-Q2_K.gguf"),
		"--text-file", refdata.Path(t, "text/heldout-a.txt"), "--ctx", "64", "--chunks", "6",
		"--prompts", "3", "--prompt-tokens", "16", "--generate", "20", "--json", "--threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	for _, k := range []string{"kld_mean", "kld_median", "kld_p99", "kld_max", "same_top", "ppl_base", "ppl_variant",
		"delta_ppl", "agreement_tokens_mean", "agreement_full", "base", "variant", "text_file"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON has no %q", k)
		}
	}
	num := func(k string) float64 { f, _ := r[k].(float64); return f }
	if num("ctx") != 64 || num("chunks") != 6 || num("tokens_scored") != 6*31 || num("prompts") != 3 ||
		num("prompt_tokens") != 16 || num("generate") != 20 {
		t.Errorf("measured %s", stdout)
	}
	if !(0 < num("kld_median") && num("kld_median") < num("kld_p99") && num("kld_p99") <= num("kld_max")) ||
		!(0 < num("same_top") && num("same_top") < 1) || !(num("agreement_tokens_mean") <= 20) ||
		fmt.Sprintf("%.9f", num("delta_ppl")) != fmt.Sprintf("%.9f", num("ppl_variant")-num("ppl_base")) {
		t.Errorf("implausible figures %s", stdout)
	}
}
