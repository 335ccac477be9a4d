// Package predict owns live prediction in Presage: the feature state of a
// session built incrementally from its events, hashed sparse features, an
// online logistic regression trained with FTRL-Proximal, the scorer that
// runs in the collector before a batch commits, the trainer that learns
// every ended session and checkpoints models, and the streaming quality
// monitor and percentile reference kept with each model.
//
// Offline tooling lives apart and imports this package, never the other
// way round: internal/predict/eval (`presage eval`: the UCI data set,
// journey replay through the training protocol, offline learners) and
// internal/predict/simulate (`presage simulate`: journeys with a known
// true probability).
//
// It must do I/O only through its Store, read the clock only through the
// injected Now of its options (feature times come from events), and never
// keep personal values: a model holds only aggregated weights of hashed
// features.
package predict
