// Package sealed encrypts personal data at rest: Wrap decorates a storage
// engine so that the values that identify or describe a person (event URLs,
// titles, referrers and attributes, session landing data, customer traits)
// are sealed with the data key of their subject before they reach the
// database, and opened again when they are read. Organization secrets (the
// identity HMAC key, the consent signing key) are wrapped by the master key.
//
// Erasure destroys the subject's data key (keys.Keyring.Shred): every copy of
// the subject's sealed values, in the database and in its backups, then
// reads as empty. The package never logs or returns a plaintext value in an
// error, and never decides who a subject is: callers name the subjects.
package sealed
