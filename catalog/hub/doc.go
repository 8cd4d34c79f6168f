// Package hub talks to the Hugging Face hub: resolves files, downloads them
// resumably and verified into the models folder.
//
// The hub's base URL comes from HF_ENDPOINT, as huggingface_hub reads it
// (default https://huggingface.co), so mirrors and tests can point it
// elsewhere; proxies come from the environment (HTTPS_PROXY, NO_PROXY...)
// through Go's default transport.
//
// A download is written to ".NAME.part" beside its final name. That name is
// stable so that a download interrupted by a dropped connection, a Cancel or
// a restart of Nibble resumes where it stopped (an HTTP Range request), and
// it is not one of the catalog's temporary names (".NAME.tmp-*"), so
// catalog.Reconcile leaves it alone instead of deleting it. The file is
// renamed to NAME only once it is complete and its SHA-256 matches the one
// the hub publishes: NAME is never a partial or corrupt file. Partial tells
// how much an interrupted download kept, so that the window can offer to
// resume it, and Discard deletes it.
//
// Every failure ends in a resumed download or an error that says what
// happened. A request that fails for now is tried again after a growing wait
// (see Client.Attempts and Client.Backoff): a dropped connection, a server
// that sends nothing for Client.Stall (Go's client would wait forever), a
// busy hub (5xx, or 429 and 503 with the wait it asks for in Retry-After).
// An answer that will not change (401, 403, 404) is a StatusError at once;
// a full disk is ErrNoSpace, whether seen before starting or while writing,
// and keeps the partial file.
package hub
