package loadgen

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Report is what a run did. Latencies are ack latencies: from a batch's first
// send to its acknowledgement, retries included.
type Report struct {
	Requests int64 // batches acknowledged (2xx)
	Events   int64 // events in acknowledged batches
	Errors   int64 // failed attempts: network errors and non-2xx answers
	Retries  int64 // attempts that sent a batch again, with the same event ids

	Generated int64 // events generated, acknowledged or not
	// Dropped counts generated events never acknowledged: refused (4xx), not
	// retried (Retry false) or still unacknowledged when ctx ended.
	// Generated = Events + Dropped.
	Dropped int64
	// Stored and Duplicates sum the server's 200 answers {"stored", "duplicates"}.
	Stored, Duplicates int64
	// FirstError describes the first failed attempt, e.g. "503 Service Unavailable: …".
	FirstError string

	Elapsed                      time.Duration
	P50, P99, Max                time.Duration
	RequestsPerSec, EventsPerSec float64 // acknowledged, over Elapsed
}

func buildReport(stats []*workerStats, elapsed time.Duration) Report {
	rep := Report{Elapsed: elapsed}
	var lat []time.Duration
	for _, s := range stats {
		rep.Requests += s.requests
		rep.Events += s.events
		rep.Errors += s.errors
		rep.Retries += s.retries
		rep.Generated += s.generated
		rep.Dropped += s.dropped
		rep.Stored += s.stored
		rep.Duplicates += s.duplicates
		if rep.FirstError == "" {
			rep.FirstError = s.firstError
		}
		lat = append(lat, s.latencies...)
	}
	slices.Sort(lat)
	rep.P50 = percentile(lat, 50)
	rep.P99 = percentile(lat, 99)
	if len(lat) > 0 {
		rep.Max = lat[len(lat)-1]
	}
	if secs := elapsed.Seconds(); secs > 0 {
		rep.RequestsPerSec = float64(rep.Requests) / secs
		rep.EventsPerSec = float64(rep.Events) / secs
	}
	return rep
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of sorted:
// the smallest value that at least p percent of the values are less than or
// equal to. It returns 0 for no values.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ⌈p·n/100⌉ without floating point
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// String returns a short human-readable summary.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests, %d events acknowledged in %s: %.1f req/s, %.1f events/s\n",
		r.Requests, r.Events, r.Elapsed.Round(time.Millisecond), r.RequestsPerSec, r.EventsPerSec)
	fmt.Fprintf(&b, "ack latency: p50 %s, p99 %s, max %s\n", round(r.P50), round(r.P99), round(r.Max))
	fmt.Fprintf(&b, "server: %d stored, %d duplicates; %d errors, %d retries, %d of %d events dropped",
		r.Stored, r.Duplicates, r.Errors, r.Retries, r.Dropped, r.Generated)
	if r.FirstError != "" {
		fmt.Fprintf(&b, "\nfirst error: %s", r.FirstError)
	}
	return b.String()
}

// round keeps three significant digits or so: 1.23ms, 45.6µs, 2.5s.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(100 * time.Nanosecond)
	}
}
