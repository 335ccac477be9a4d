// Package keystore implements keys.Store, the store of wrapped data keys, on
// SQLite (a file of its own, presage-keys.db) and PostgreSQL (the schema
// presage_keys). It is kept apart from the journey database so that its
// backups can be kept for a shorter time and in another place: destroying a
// subject's data key here is what makes the subject's values unreadable in
// every journey backup.
//
// It stores only wrapped keys; it never sees the master key or a plaintext
// data key, and never touches a journey table.
package keystore
