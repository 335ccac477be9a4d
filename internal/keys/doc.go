// Package keys owns Presage's encryption keys: the master key that wraps
// every other key, the per-subject data keys that encrypt personal data at
// rest (AES-256-GCM), and the key store that keeps the wrapped data keys
// apart from the journey database.
//
// Erasing a subject destroys its data keys (crypto-shredding): every copy of
// its encrypted values — in the live database and in any backup of it —
// becomes unreadable once the key store no longer holds the key. The key
// store's own backups therefore bound how long an erased subject stays
// recoverable; docs/privacy.md says how long they may be kept.
package keys
