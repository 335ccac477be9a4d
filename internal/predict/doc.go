// Package predict owns the prediction foundation of Presage: the feature
// state of a session built incrementally from its events, hashed sparse
// features, an online logistic regression trained with FTRL-Proximal,
// optional calibration, streaming quality metrics, and the offline
// evaluation on the UCI "Online Shoppers Purchasing Intention" data set.
//
// It must never do I/O (the evaluation reader takes an io.Reader), never
// read the clock (times come from events), and never keep personal values:
// a model holds only aggregated weights of hashed features.
package predict
