// Package simulate owns the journey simulator: a documented generative
// model of visitors and sessions on a small shop whose true purchase
// probability is known at every event, so an evaluation can compare a
// model's ranking with the best achievable one (the Bayes-optimal AUC).
// `presage simulate` writes its journeys and `presage eval --simulate`
// replays them; docs/prediction.md ("Simulator") writes the model out.
//
// It is offline tooling and never serves live traffic: only cmd/presage and
// internal/predict/eval import it, never the server (internal/app) nor the
// live package internal/predict. Everything it generates is a function of
// its seed; it never reads the clock and does no I/O.
package simulate
