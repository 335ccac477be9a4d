package presage

// PrivacySignals are the privacy preferences a browser sends with a request:
// the collector passes them to the consent gate, and a visitor's decision
// records them in the ledger.
type PrivacySignals struct {
	GPC bool // Sec-GPC: 1
	DNT bool // DNT: 1
}
