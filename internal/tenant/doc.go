// Package tenant owns organizations (the controllers), their public site keys
// and allowed origins, and their secret API keys: creation, hashing,
// authentication and revocation. It never stores or logs a key's secret.
package tenant
