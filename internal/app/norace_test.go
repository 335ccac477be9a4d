//go:build !race

package app

// raceEnabled: the race detector runs (tests scale their load down).
const raceEnabled = false
