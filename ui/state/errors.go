package state

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/catalog/hub"
	"nibble/engine/gguf"
	"nibble/engine/hw"
	"nibble/engine/session"
	"nibble/quant/hfconvert"
)

// Explain puts err in plain words for someone who is not technical: what
// happened, in one sentence, and what to do next. Errors it does not know
// keep their own message, which names what failed.
func Explain(err error) (what, next string) {
	var (
		convert *service.ConvertError
		status  *hub.StatusError
		network *url.Error
	)
	switch {
	case err == nil:
		return "", ""
	case errors.Is(err, catalog.ErrAlreadyRunning):
		return "Nibble is already open.", "Switch to the Nibble window that is open, or close it and start Nibble again."
	case errors.Is(err, context.Canceled):
		return "Cancelled.", "Nothing was changed."
	case errors.Is(err, gguf.ErrNotGGUF):
		return "This file is not a model Nibble can use.",
			"Nibble runs models in the GGUF format (files ending in .gguf). Choose a .gguf file, or a folder that holds some."
	case errors.Is(err, catalog.ErrExists):
		return "This model is already in your library.", "Find it in the library."
	case errors.Is(err, ErrNoModelFiles):
		return "There are no models in this folder.",
			"Nibble looks for files ending in .gguf in the folder and its subfolders. Choose another folder, or a model file."
	case errors.Is(err, catalog.ErrSplitModel):
		return "This model is split into several files.", "Nibble cannot use split models yet. Look for a single-file version of it."
	case errors.Is(err, session.ErrTooLarge):
		return "This model is too large for the memory free now.",
			"Close other apps and try again, or make a smaller version of it with \"Make it fit\"."
	case errors.Is(err, catalog.ErrDamaged), errors.Is(err, catalog.ErrNewerSchema):
		return "Nibble cannot open its catalog.", err.Error()
	case errors.As(err, &status) && (status.Code == http.StatusUnauthorized || status.Code == http.StatusForbidden):
		return "The makers of this model ask you to accept their terms before you download it.",
			"Accept them on the model's page at huggingface.co, create an access token there, and give it to Nibble in Settings."
	case errors.Is(err, service.ErrBadToken):
		return "This is not an access token.",
			"Copy the token from huggingface.co/settings/tokens and paste it here: it is one word, usually starting with hf_."
	case errors.As(err, &status) && status.Code == http.StatusNotFound:
		return "This file is no longer on Hugging Face.", "It may have been renamed or removed: choose another level or another model."
	case errors.Is(err, hub.ErrChecksum):
		return "The download was damaged on its way.", "Nibble deleted it. Download it again."
	case errors.Is(err, hub.ErrNoSpace):
		return "There is not enough free disk space for this model.",
			"Free some space (delete files you no longer need, or models from the library) and try again; what was downloaded is kept. (" + err.Error() + ")"
	case errors.Is(err, hub.ErrUnreachable) || errors.As(err, &status) || errors.As(err, &network):
		return "Nibble could not reach Hugging Face.",
			"Check the internet connection and try again later: the download goes on from where it stopped. (" + err.Error() + ")"
	case diskFull(err):
		return "The disk is full.", "Free some space (delete files you no longer need, or models from the library) and try again."
	case errors.As(err, &convert) && errors.Is(err, hfconvert.ErrUnsupportedArchitecture):
		return "This folder holds a Hugging Face model of a kind Nibble cannot run yet.",
			"Nibble can take Llama, Mistral, Qwen2 and Qwen3 models. Look for a .gguf version of this one. (" + convert.Err.Error() + ")"
	case errors.As(err, &convert):
		return "Nibble could not read this Hugging Face model folder.",
			"A file of the model may be missing or incomplete: download the model again, with all its files. (" + convert.Err.Error() + ")"
	case errors.Is(err, fs.ErrNotExist):
		return "A file is missing.", "It was moved or deleted. Put it back, or remove it from the library. (" + err.Error() + ")"
	case errors.Is(err, fs.ErrPermission):
		return "Nibble is not allowed to use this file or folder.", "Check its permissions, or choose another place. (" + err.Error() + ")"
	}
	return "Something went wrong.", Capitalize(err.Error()) + "."
}

// diskFull tells whether err says the disk is full, on any system. The
// message is read too because bbolt flattens the error of growing the
// catalog's file with %s ("file resize error: truncate ...: no space left on
// device"; Windows says "There is not enough space on the disk."), which
// leaves no error value for hw.DiskFull to find.
func diskFull(err error) bool {
	if hw.DiskFull(err) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "no space left") || strings.Contains(msg, "not enough space on the disk")
}
