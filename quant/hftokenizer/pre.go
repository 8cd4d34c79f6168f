package hftokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"nibble/engine/gguf"
	"nibble/engine/tokenizer"
)

// How llama.cpp names the pre-tokenizer of a byte-level BPE model
// (tokenizer.ggml.pre): convert_hf_to_gguf.py's get_vocab_base_pre encodes
// checkText with the Hugging Face tokenizer (encode(), so with the special
// tokens its post-processor adds), hashes the ids and looks the hash up in
// preHashes; an unknown hash stops the conversion. Here Nibble's tokenizer
// encodes the text instead: the pre-tokenizer steps of tokenizer.json are
// matched to the engine's pre-tokenizer that implements them (prePatterns),
// the vocabulary just built is loaded with it, and the ids go through the
// same hash and table. A tokenizer whose steps the engine does not implement,
// or whose ids hash to nothing in the table, is refused with the reason.

// checkText is chktxt of convert_hf_to_gguf.py (c392e50).
const checkText = "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫\ufe0f (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL"

// preHashes is get_vocab_base_pre's table in convert_hf_to_gguf.py (c392e50):
// sha256(str(ids)) → tokenizer.ggml.pre. Two hashes appear twice there and
// the later name wins, as in the script's chain of ifs: b6dc8df9… is "mpt"
// then "olmo", 0876d13b… is "bert-bge" then "jina-v2-en".
var preHashes = map[string]string{
	"0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",        // meta-llama/Meta-Llama-3-8B
	"049ecf7629871e3041641907f3de7c733e4dbfdc736f57d882ba0b0845599754": "deepseek-llm",     // deepseek-ai/deepseek-llm-7b-base
	"347715f544604f9118bb75ed199f68779f423cabb20db6de6f31b908d04d7821": "deepseek-coder",   // deepseek-ai/deepseek-coder-6.7b-base
	"8aeee3860c56296a157a1fe2fad249ec40aa59b1bb5709f4ade11c4e6fe652ed": "falcon",           // tiiuae/falcon-7b
	"9d032fcbd5501f4a38150912590928bfb36091efb5df11b8e2124b0390e3fb1e": "falcon3",          // tiiuae/Falcon3-7B-Base
	"8e62295832751ca1e8f92f2226f403dea30dc5165e448b5bfa05af5340c64ec7": "bert-bge-large",   // BAAI/bge-large-zh-v1.5
	"b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166": "olmo",             // mosaicml/mpt-7b, allenai/OLMo-1.7-7B-hf
	"35d91631860c815f952d711435f48d356ebac988362536bed955d43bfa436e34": "starcoder",        // bigcode/starcoder2-3b
	"3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",            // openai-community/gpt2
	"32d85c31273f8019248f2559fed492d929ea28b17e51d81d3bb36fff23ca72b3": "stablelm2",        // stabilityai/stablelm-2-zephyr-1_6b
	"6221ad2852e85ce96f791f476e0b390cf9b474c9e3d1362f53a24a06dc8220ff": "refact",           // smallcloudai/Refact-1_6-base
	"9c2227e4dd922002fb81bde4fc02b0483ca4f12911410dee2255e4987644e3f8": "command-r",        // CohereForAI/c4ai-command-r-v01
	"e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",            // Qwen/Qwen1.5-7B
	"a8594e3edff7c29c003940395316294b2c623e09894deebbc65f33f1515df79e": "dbrx",             // databricks/dbrx-base
	"c7699093ba4255a91e702aa38a596aa81669f3525dae06c2953267dde580f448": "jina-v1-en",       // jinaai/jina-reranker-v1-tiny-en
	"0876d13b50744004aa9aeae05e7b0647eac9d801b5ba4668afc01e709c15e19f": "jina-v2-en",       // BAAI/bge-small-en-v1.5, jinaai/jina-embeddings-v2-base-en
	"171aeeedd6fb548d418a7461d053f11b6f1f1fc9b387bd66640d28a4b9f5c643": "jina-v2-es",       // jinaai/jina-embeddings-v2-base-es
	"27949a2493fc4a9f53f5b9b029c82689cfbe5d3a1929bb25e043089e28466de6": "jina-v2-de",       // jinaai/jina-embeddings-v2-base-de
	"c136ed14d01c2745d4f60a9596ae66800e2b61fa45643e72436041855ad4089d": "smaug-bpe",        // abacusai/Smaug-Llama-3-70B-Instruct
	"c7ea5862a53e4272c035c8238367063e2b270d51faa48c0f09e9d5b54746c360": "poro-chat",        // LumiOpen/Poro-34B-chat
	"7967bfa498ade6b757b064f31e964dddbb80f8f9a4d68d4ba7998fcf281c531a": "jina-v2-code",     // jinaai/jina-embeddings-v2-base-code
	"b6e8e1518dc4305be2fe39c313ed643381c4da5db34a98f6a04c093f8afbe99b": "chatglm-bpe",      // THUDM/glm-4-9b-chat
	"81d72c7348a9f0ebe86f23298d37debe0a5e71149e29bd283904c02262b27516": "chatglm-bpe",      // THUDM/glm-4-9b-chat
	"7fc505bd3104ca1083b150b17d088b59534ede9bde81f0dd2090967d7fe52cee": "viking",           // LumiOpen/Viking-7B
	"b53802fb28e26d645c3a310b34bfe07da813026ec7c7716883404d5e0f8b1901": "jais",             // core42/jais-13b
	"7b3e7548e4308f52a76e8229e4e6cc831195d0d1df43aed21ac6c93da05fec5f": "codeshell",        // WisdomShell/CodeShell-7B
	"63b97e4253352e6f357cc59ea5b583e3a680eaeaf2632188c2b952de2588485e": "tekken",           // mistralai/Mistral-Nemo-Base-2407
	"855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",           // HuggingFaceTB/SmolLM-135M
	"3c30d3ad1d6b64202cd222813e7736c2db6e1bd6d67197090fc1211fbc612ae7": "bloom",            // bigscience/bloom
	"bc01ce58980e1db43859146dc51b1758b3b88729b217a74792e9f8d43e479d21": "gpt3-finnish",     // TurkuNLP/gpt3-finnish-small
	"4e2b24cc4770243d65a2c9ec19770a72f08cffc161adbb73fcbb6b7dd45a0aae": "exaone",           // LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct
	"fcace8b9cac38ce847670c970cd5892031a753a1ef381abd1d9af00f713da085": "phi-2",            // microsoft/phi-2
	"60824e3c0d9401f89943cbb2fff727f0e2d4c545ba4df2d6e4f09a6db0f5b450": "chameleon",        // facebook/chameleon-7b
	"1431a23e583c97432bc230bff598d103ddb5a1f89960c8f1d1051aaa944d0b35": "minerva-7b",       // sapienzanlp/Minerva-7B-base-v1.0
	"8b5a93ed704057481f240da0be7e7dca721d7f8f4755263b6807227a2cbeae65": "roberta-bpe",      // sentence-transformers/stsb-roberta-base
	"ad851be1dba641f2e3711822f816db2c265f788b37c63b4e1aeacb9ee92de8eb": "gigachat",         // ai-sage/GigaChat-20B-A3B-instruct
	"d4c8f286ea6b520b3d495c4455483cfa2302c0cfcd4be05d781b6a8a0a7cdaf1": "megrez",           // Infinigence/Megrez-3B-Instruct
	"877081d19cf6996e2c4ff0e1236341e9b7bde288f5311a56a937f0afbbb3aeb5": "deepseek-v3",      // deepseek-ai/DeepSeek-V3
	"b3f499bb4255f8ca19fccd664443283318f2fd2414d5e0b040fbdd0cc195d6c5": "deepseek-r1-qwen", // deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B
}

// Split regexes of tokenizer.json pre-tokenizers, as the files spell them.
const (
	llama3Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Regex  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// prePatterns maps the pre-tokenizer steps of a tokenizer.json (see
// preSteps) to the engine pre-tokenizer (a tokenizer.ggml.pre value of
// engine/tokenizer) that cuts text the same way.
var prePatterns = map[string]string{
	"ByteLevel(regex)":                     "gpt-2", // GPT-2's regex built into ByteLevel
	"Split(" + llama3Regex + ") ByteLevel": "llama-bpe",
	"Split(" + qwen2Regex + ") ByteLevel":  "qwen2",
	"Digits(individual) ByteLevel(regex)":  "starcoder", // \p{N}, then GPT-2's regex
}

// preTokenizer returns tokenizer.ggml.pre for the vocabulary just built, as
// get_vocab_base_pre chooses it.
func (f *folder) preTokenizer(tokens []string, types []int32, merges []string) (string, error) {
	t := f.tok
	// The check text is the same after NFC, the one normalizer of the
	// supported models (Qwen's); any other could change it.
	n, err := component(t.Normalizer)
	if err != nil {
		return "", fmt.Errorf("tokenizer.json: normalizer: %w", err)
	}
	if n.Type != "" && n.Type != "NFC" {
		return "", fmt.Errorf("tokenizer.json: normalizer %q is not supported", n.Type)
	}
	steps, err := preSteps(t.PreTokenizer)
	if err != nil {
		return "", fmt.Errorf("tokenizer.json: pre_tokenizer: %w", err)
	}
	engine, ok := prePatterns[steps]
	if !ok {
		return "", fmt.Errorf("tokenizer.json: pre-tokenizer %.200q is not supported", steps)
	}
	tok, err := loadVocab([]gguf.KV{
		{Key: tokenizer.KeyModel, Value: gguf.String("gpt2")},
		{Key: tokenizer.KeyPre, Value: gguf.String(engine)},
		{Key: tokenizer.KeyTokens, Value: gguf.Array(tokens)},
		{Key: tokenizer.KeyTokenTypes, Value: gguf.Array(types)},
		{Key: tokenizer.KeyMerges, Value: gguf.Array(merges)},
	})
	if err != nil {
		return "", err
	}
	ids, err := f.postProcess(tok, tok.Encode(checkText, false, true))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(pythonList(ids)))
	hash := hex.EncodeToString(sum[:])
	name, ok := preHashes[hash]
	if !ok {
		return "", fmt.Errorf("the BPE pre-tokenizer was not recognized (check hash %s; llama.cpp's convert_hf_to_gguf.py would refuse it too)", hash)
	}
	return name, nil
}

// pythonList formats ids as Python's str(list) does: "[1, 2, 3]".
func pythonList(ids []int32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(int(id)))
	}
	b.WriteByte(']')
	return b.String()
}

// hfComponent is a normalizer, pre-tokenizer or post-processor object of
// tokenizer.json, with the fields read here.
type hfComponent struct {
	Type          string            `json:"type"`
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	// Split
	Pattern struct {
		Regex *string `json:"Regex"`
	} `json:"pattern"`
	Behavior string `json:"behavior"`
	Invert   bool   `json:"invert"`
	// ByteLevel
	UseRegex       *bool `json:"use_regex"` // default true
	AddPrefixSpace bool  `json:"add_prefix_space"`
	// Digits
	IndividualDigits bool `json:"individual_digits"`
	// TemplateProcessing
	Single []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int32 `json:"ids"`
	} `json:"special_tokens"`
	// BertProcessing, RobertaProcessing: [text, id]
	Cls []json.RawMessage `json:"cls"`
	Sep []json.RawMessage `json:"sep"`
}

// component decodes a tokenizer.json component; an absent one or null has
// Type "".
func component(raw json.RawMessage) (hfComponent, error) {
	var c hfComponent
	if len(raw) == 0 {
		return c, nil
	}
	err := json.Unmarshal(raw, &c)
	return c, err
}

// preSteps describes a pre_tokenizer as a space-separated list of steps,
// the keys of prePatterns: Split(<regex>) (isolated matches only),
// ByteLevel or ByteLevel(regex) (with GPT-2's built-in regex), and
// Digits or Digits(individual).
func preSteps(raw json.RawMessage) (string, error) {
	c, err := component(raw)
	if err != nil {
		return "", err
	}
	switch c.Type {
	case "Sequence":
		steps := make([]string, len(c.PreTokenizers))
		for i, p := range c.PreTokenizers {
			s, err := preSteps(p)
			if err != nil {
				return "", err
			}
			steps[i] = s
		}
		return strings.Join(steps, " "), nil
	case "Split":
		if c.Pattern.Regex == nil || c.Behavior != "Isolated" || c.Invert {
			return "", fmt.Errorf("a Split that is not an isolating regex (behavior %q, invert %v)", c.Behavior, c.Invert)
		}
		return "Split(" + *c.Pattern.Regex + ")", nil
	case "ByteLevel":
		if c.AddPrefixSpace {
			return "", fmt.Errorf("ByteLevel with add_prefix_space is not supported")
		}
		if c.UseRegex == nil || *c.UseRegex {
			return "ByteLevel(regex)", nil
		}
		return "ByteLevel", nil
	case "Digits":
		if c.IndividualDigits {
			return "Digits(individual)", nil
		}
		return "Digits", nil
	}
	return "", fmt.Errorf("pre-tokenizer type %q is not supported", c.Type)
}

// postProcess adds the special tokens transformers' encode() adds to ids:
// those of tokenizer.json's post_processor, or, for LlamaTokenizerFast, the
// BOS/EOS that transformers' update_post_processor puts there instead
// (add_bos_token, default true; add_eos_token, default false).
func (f *folder) postProcess(tok *tokenizer.Tokenizer, ids []int32) ([]int32, error) {
	var class string
	_ = json.Unmarshal(f.tokConfig["tokenizer_class"], &class)
	if strings.TrimSuffix(class, "Fast") == "LlamaTokenizer" {
		return f.llamaTemplate(tok, ids)
	}
	return postProcessor(f.tok.PostProcessor, ids)
}

func (f *folder) llamaTemplate(tok *tokenizer.Tokenizer, ids []int32) ([]int32, error) {
	addBOS, addEOS := true, false
	_ = json.Unmarshal(f.tokConfig["add_bos_token"], &addBOS)
	_ = json.Unmarshal(f.tokConfig["add_eos_token"], &addEOS)
	for _, s := range []struct {
		add   bool
		typ   string
		front bool
	}{{addBOS, "bos", true}, {addEOS, "eos", false}} {
		if !s.add {
			continue
		}
		text, _ := tokenText(f.tokConfig[s.typ+"_token"])
		id, ok := tok.TokenID(text)
		if !ok {
			return nil, fmt.Errorf("tokenizer_config.json: add_%s_token is set but %s_token %q is not a token", s.typ, s.typ, text)
		}
		if s.front {
			ids = append([]int32{id}, ids...)
		} else {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// postProcessor applies a tokenizer.json post_processor to a single
// sequence.
func postProcessor(raw json.RawMessage, ids []int32) ([]int32, error) {
	c, err := component(raw)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.json: post_processor: %w", err)
	}
	switch c.Type {
	case "", "ByteLevel": // null, or only offsets
		return ids, nil
	case "Sequence":
		for _, p := range c.Processors {
			if ids, err = postProcessor(p, ids); err != nil {
				return nil, err
			}
		}
		return ids, nil
	case "TemplateProcessing":
		var out []int32
		for _, piece := range c.Single {
			switch {
			case piece.Sequence != nil:
				out = append(out, ids...)
			case piece.SpecialToken != nil:
				special, ok := c.SpecialTokens[piece.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("tokenizer.json: post_processor: no special token %q", piece.SpecialToken.ID)
				}
				out = append(out, special.IDs...)
			}
		}
		return out, nil
	case "BertProcessing", "RobertaProcessing":
		var cls, sep int32
		if len(c.Cls) != 2 || len(c.Sep) != 2 || json.Unmarshal(c.Cls[1], &cls) != nil || json.Unmarshal(c.Sep[1], &sep) != nil {
			return nil, fmt.Errorf("tokenizer.json: post_processor: malformed %s", c.Type)
		}
		return append(append([]int32{cls}, ids...), sep), nil
	}
	return nil, fmt.Errorf("tokenizer.json: post_processor type %q is not supported", c.Type)
}

// loadVocab builds Nibble's tokenizer from the tokenizer.* metadata kvs.
// engine/tokenizer reads GGUF files only, so the vocabulary goes through a
// temporary vocab-only GGUF.
func loadVocab(kvs []gguf.KV) (*tokenizer.Tokenizer, error) {
	dir, err := os.MkdirTemp("", "nibble-vocab-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "vocab.gguf")
	w, err := gguf.Create(path)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	for _, kv := range kvs {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			return nil, err
		}
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return tokenizer.FromGGUF(f)
}
