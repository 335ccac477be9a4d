// Package identity is the one place identifying values (emails, phone
// numbers, names, addresses, external ids) are normalized and turned into
// blind indexes: the keyed hashes customers are stored and searched under.
// The collector, the subject search and rectification all go through it, so
// a value hashed at identify is found again by a search for the same value
// written differently. It never stores or logs a value.
package identity
