package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"

	"nibble/engine/gguf"
)

// Message is one turn of a conversation. Role is what the templates test:
// "system", "user" or "assistant".
type Message struct {
	Role, Content string
}

// Options are the values a render needs besides the messages.
type Options struct {
	// AddGenerationPrompt ends the prompt with the opening of an assistant
	// turn, so the model writes the reply next.
	AddGenerationPrompt bool
	// BOS and EOS are the texts of the model's begin/end-of-sequence tokens
	// (bos_token and eos_token in the template). When not empty they replace
	// the ones given to FromGGUF or Load.
	BOS, EOS string
	// Now is the time strftime_now reports (Llama 3.2 and later print
	// today's date in the system turn); zero means the current time.
	Now time.Time
}

// Template is a parsed chat template, safe for concurrent use.
type Template struct {
	tmpl     *jinja.Template
	bos, eos string
}

// RefusedError is returned by Render when the template itself rejects the
// conversation through raise_exception, for example Gemma given a system
// message or Mistral given two user turns in a row.
type RefusedError struct {
	Reason string // the template's own message
}

func (e *RefusedError) Error() string {
	return "the chat template refused this conversation: " + e.Reason
}

// chatML is the template llama.cpp (common/chat.cpp, CHATML_TEMPLATE_SRC)
// uses when a model has none, kept byte for byte so a model without a
// template gets the same prompt here as there. Most instruction-tuned
// models of the last years were trained on ChatML or understand it.
const chatML = "{%- for message in messages -%}\n" +
	"  {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' -}}\n" +
	"{%- endfor -%}\n" +
	"{%- if add_generation_prompt -%}\n" +
	"  {{- '<|im_start|>assistant\n' -}}\n" +
	"{%- endif -%}"

// Parse parses the Jinja source of a chat template.
func Parse(source string) (*Template, error) {
	// Jinja2 (keep_trailing_newline=False) drops one newline at the very end
	// of a template; the Go engine keeps it, so drop it here.
	source = strings.TrimSuffix(source, "\n")
	tmpl, err := jinja.Compile(source)
	if err != nil {
		return nil, fmt.Errorf("parse chat template: %w", err)
	}
	return &Template{tmpl: tmpl}, nil
}

// FromGGUF returns the model's own chat template (tokenizer.chat_template),
// or ChatML when the model has none. bos and eos are the texts of the
// model's BOS and EOS tokens.
func FromGGUF(f *gguf.File, bos, eos string) (*Template, error) {
	return Load(f, "", bos, eos)
}

// Load returns the template to chat with a model: override when the user
// gave one (not blank), else what FromGGUF returns. Like llama.cpp's
// --chat-template, an override wins over the model's own template.
func Load(f *gguf.File, override, bos, eos string) (*Template, error) {
	source := override
	if strings.TrimSpace(source) == "" {
		var ok bool
		source, ok = f.String("tokenizer.chat_template")
		if !ok || strings.TrimSpace(source) == "" {
			source = chatML
		}
	}
	t, err := Parse(source)
	if err != nil {
		return nil, err
	}
	t.bos, t.eos = bos, eos
	return t, nil
}

// Render returns the prompt text for msgs. A template that rejects the
// conversation gives a *RefusedError.
func (t *Template) Render(msgs []Message, opts Options) (string, error) {
	bos, eos := t.bos, t.eos
	if opts.BOS != "" {
		bos = opts.BOS
	}
	if opts.EOS != "" {
		eos = opts.EOS
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}

	list := make([]jinja.Value, len(msgs))
	for i, m := range msgs {
		// Built key by key because templates see insertion order, as in
		// Python: role first, then content, like an OpenAI-style message.
		d := jinja.NewDict()
		d.AsDict().Set("role", jinja.NewString(m.Role))
		d.AsDict().Set("content", jinja.NewString(m.Content))
		list[i] = d
	}

	out, err := t.tmpl.RenderValues(map[string]jinja.Value{
		"messages":              jinja.NewList(list),
		"add_generation_prompt": jinja.NewBool(opts.AddGenerationPrompt),
		"bos_token":             jinja.NewString(bos),
		"eos_token":             jinja.NewString(eos),
		// transformers passes tools=None when there are none, so templates
		// see it defined and none; Qwen and Llama 3.1 test exactly that.
		"tools":           jinja.None(),
		"raise_exception": jinja.NewCallable("raise_exception", raiseException),
		"strftime_now": jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			if len(args) != 1 || !args[0].IsString() {
				return jinja.Undefined(), errors.New("strftime_now: want one format string")
			}
			return jinja.NewString(strftime(now, args[0].AsString())), nil
		}),
	})
	var refused *RefusedError
	if errors.As(err, &refused) {
		return "", refused
	}
	if err != nil {
		return "", fmt.Errorf("render chat template: %w", err)
	}
	return out, nil
}

// raiseException is the template's way to reject a conversation; its
// message is meant for the user, so it is kept as is.
func raiseException(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	if len(args) == 0 {
		return jinja.Undefined(), &RefusedError{Reason: "no reason given"}
	}
	reason := args[0].String()
	if args[0].IsString() {
		reason = args[0].AsString() // String() would quote it
	}
	return jinja.Undefined(), &RefusedError{Reason: reason}
}

// strftime formats t like Python's time.strftime for the directives chat
// templates use ("%d %b %Y" in Llama 3.x, "%Y-%m-%d" elsewhere), in English
// as Python's C locale does. Other directives are copied through unchanged.
func strftime(t time.Time, format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'Y':
			b.WriteString(t.Format("2006"))
		case 'y':
			b.WriteString(t.Format("06"))
		case 'm':
			b.WriteString(t.Format("01"))
		case 'd':
			b.WriteString(t.Format("02"))
		case 'H':
			b.WriteString(t.Format("15"))
		case 'I':
			b.WriteString(t.Format("03"))
		case 'M':
			b.WriteString(t.Format("04"))
		case 'S':
			b.WriteString(t.Format("05"))
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}
