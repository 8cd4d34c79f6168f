package synth

import "fmt"

// Family is the model family a shape follows beyond its sizes: the
// architecture, the kind of tokenizer with its special tokens and their ids,
// and the chat template.
type Family int

const (
	// TinyLlama: arch llama, a SentencePiece vocabulary (<unk> <s> </s>,
	// then the 256 byte tokens <0x00>…<0xFF>, then pieces with scores), the
	// Zephyr chat template.
	TinyLlama Family = iota
	// Llama3: arch llama, a byte-level BPE vocabulary (pre-tokenizer
	// llama-bpe) whose last 256 ids are Llama 3's special tokens, the
	// Llama 3 chat template.
	Llama3
	// Qwen2: arch qwen2, a byte-level BPE vocabulary (pre-tokenizer qwen2)
	// whose last 293 ids are Qwen2.5's 22 special tokens then padding, the
	// ChatML chat template.
	Qwen2
)

func (f Family) String() string {
	return [...]string{"TinyLlama (SentencePiece)", "Llama 3 (BPE)", "Qwen2.5 (BPE)"}[f]
}

func (f Family) arch() string {
	if f == Qwen2 {
		return "qwen2"
	}
	return "llama"
}

// GGUF token types (tokenizer.ggml.token_type, llama.cpp's
// llama_token_type).
const (
	tokenNormal      int32 = 1
	tokenUnknown     int32 = 2
	tokenControl     int32 = 3
	tokenUserDefined int32 = 4
	tokenUnused      int32 = 5
	tokenByte        int32 = 6
)

// spmSpecials are the first tokens of a SentencePiece vocabulary; the 256
// byte tokens follow them.
var spmSpecials = []string{"<unk>", "<s>", "</s>"}

// llama3Specials are the named special tokens of Llama 3.1/3.2 from id
// 128000; <|reserved_special_token_3|> and on fill the rest of the 256.
var llama3Specials = []string{
	"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
	"<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
	"<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
}

const (
	llama3SpecialCount = 256
	llama3BOS          = 0 // <|begin_of_text|>, index in llama3Specials
	llama3EOS          = 9 // <|eot_id|>: the Instruct model's end of turn
)

// qwenSpecials are Qwen2.5's added tokens from id 151643, in order.
// <tool_call> and </tool_call> are not special (user-defined): the model
// writes them as text. Padding tokens [PADn] follow up to the vocabulary
// size, as llama.cpp's converter writes them.
var qwenSpecials = []string{
	"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
	"<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
	"<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
	"</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
	"<|repo_name|>", "<|file_sep|>",
}

const (
	qwenTail = 151936 - 151643 // ids after the normal tokens: specials, then padding
	qwenBOS  = 0               // <|endoftext|>, index in qwenSpecials
	qwenEOS  = 2               // <|im_end|>
)

// The chat templates, byte for byte those the models ship (short ones:
// Llama 3.0's rather than 3.2's, which adds tools and dates, and the
// ChatML of Qwen2.5 without its default system message).
const (
	zephyrTemplate = `{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}`

	llama3Template = `{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>

'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>

' }}{% endif %}`

	chatMLTemplate = `{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`
)

// minVocab is the smallest vocabulary that holds the family's fixed tokens.
func (f Family) minVocab() int {
	switch f {
	case TinyLlama:
		return len(spmSpecials) + 256 + len(spmAlphabet())
	case Llama3:
		return 256 + llama3SpecialCount
	}
	return 256 + qwenTail
}

// vocabulary builds the family's vocabulary of n tokens (n >= minVocab).
func (f Family) vocabulary(n int) *vocab {
	switch f {
	case TinyLlama:
		v := &vocab{model: "llama", pre: "default", bos: 1, eos: 2, unk: 0, addBOS: true, template: zephyrTemplate}
		v.add(spmSpecials[0], tokenUnknown)
		v.add(spmSpecials[1], tokenControl)
		v.add(spmSpecials[2], tokenControl)
		for b := range 256 {
			v.add(fmt.Sprintf("<0x%02X>", b), tokenByte)
		}
		v.scores = make([]float32, len(v.tokens), n)
		for i, p := range spmPieces(n - len(v.tokens)) {
			v.add(p, tokenNormal)
			v.scores = append(v.scores, float32(-i)) // the earlier learned, the sooner merged
		}
		return v

	case Llama3:
		normal := n - llama3SpecialCount
		v := bpeVocab(normal)
		v.pre, v.template = "llama-bpe", llama3Template
		v.bos, v.eos, v.unk, v.addBOS = int32(normal+llama3BOS), int32(normal+llama3EOS), -1, true
		for i := range llama3SpecialCount {
			text := fmt.Sprintf("<|reserved_special_token_%d|>", i-len(llama3Specials)+3)
			if i < len(llama3Specials) {
				text = llama3Specials[i]
			}
			v.add(text, tokenControl)
		}
		return v
	}

	normal := n - qwenTail
	v := bpeVocab(normal)
	v.pre, v.template = "qwen2", chatMLTemplate
	v.bos, v.eos, v.unk, v.addBOS = int32(normal+qwenBOS), int32(normal+qwenEOS), -1, false
	for _, text := range qwenSpecials {
		typ := tokenControl
		if text == "<tool_call>" || text == "</tool_call>" {
			typ = tokenUserDefined
		}
		v.add(text, typ)
	}
	for len(v.tokens) < n {
		v.add(fmt.Sprintf("[PAD%d]", len(v.tokens)), tokenUnused)
	}
	return v
}
