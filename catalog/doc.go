// Package catalog keeps every model and variant Nibble knows, its chats and
// settings, in one bbolt database in the user's data folder, and discovers
// models already on this computer. (Being built: the catalog issue.)
package catalog
