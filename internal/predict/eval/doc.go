// Package eval owns the offline evaluation of Presage's outcome models,
// behind `presage eval`: the UCI "Online Shoppers Purchasing Intention"
// data set (its loader, its conversion into journeys, stratified
// cross-validation and a time split), the replay of journey files and
// simulated journeys through the server's training protocol (progressive
// validation, holdouts, the gap to the Bayes-optimal AUC), the journey file
// format, and offline learners (gradient-boosted trees, Platt calibration)
// that are measured but not served.
//
// It reproduces the live protocol by calling internal/predict — the same
// features, moments and learner the trainer runs — and never serves live
// traffic: only the eval and simulate commands of cmd/presage import it,
// never the server (internal/app) nor predict. Only its command-line entry
// points (RunUCICLI, RunJourneyCLI) touch files.
package eval
