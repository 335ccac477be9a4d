// Package collect owns the intake of tracker and server-side events: it
// decodes and validates a batch against docs/collector-protocol.md, enriches
// it (device, browser and OS from the User-Agent, referrer class and UTM from
// the page, a truncated client address), turns identify traits into keyed
// identifier hashes, and accepts it durably through a group-committing
// Committer that acknowledges a write only after its transaction committed.
//
// collect never stores or logs a raw IP address: only the /24 (IPv4) or /48
// (IPv6) prefix leaves this package, and error messages never carry the
// address, traits or URLs of a request. It does no HTTP: the transport hands
// it bytes and header values.
package collect
