// Package chat turns a conversation into the prompt text a model was trained
// on, by rendering the model's own chat template (the Jinja source stored in
// the GGUF key tokenizer.chat_template).
//
// It owns the choice of template (the user's override, else the model's,
// else ChatML as llama.cpp does) and the variables the templates expect,
// set the way Hugging Face's apply_chat_template sets them: messages,
// add_generation_prompt, bos_token, eos_token, tools (None),
// raise_exception and strftime_now. Jinja itself is
// github.com/ardanlabs/jinja, a pure-Go engine written for chat templates
// that applies the trim_blocks/lstrip_blocks settings transformers uses.
// It renders every template in testdata byte for byte like Jinja2; its
// known differences are elsewhere: whitespace trimming (a "-" or
// lstrip_blocks) can reach past an adjacent tag ("a {{ x }}{{- y }}" drops
// the space after a; ChatGLM3's template loses a space), none prints as ""
// instead of "None", the % string operator is missing, and undefined
// attributes never raise.
//
// Tokenizing the rendered text is the caller's job. Parse special tokens
// there, and do not add a second BOS: templates that want one write
// bos_token themselves.
package chat
