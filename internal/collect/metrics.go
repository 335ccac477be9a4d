package collect

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/presage-dev/presage/internal/presage"
)

// Rejection reasons of presage_events_rejected_total.
// Codes outside this list count as internal.
var rejectReasons = []presage.Code{presage.CodeInvalid, presage.CodeTooLarge, presage.CodeUnauthorized,
	presage.CodeForbidden, presage.CodeConsentRequired, presage.CodeRateLimited, presage.CodeUnavailable, presage.CodeInternal}

// Metrics are the collector's Prometheus metrics. A nil *Metrics is valid and
// records nothing.
type Metrics struct {
	accepted       prometheus.Counter
	duplicates     prometheus.Counter
	rejected       *prometheus.CounterVec
	commitDuration prometheus.Histogram
	commitEvents   prometheus.Histogram
	scoreFailures  prometheus.Counter
}

// NewMetrics creates the collector's metrics and registers them with reg
// (none when reg is nil). It panics if they are registered already, like
// prometheus.MustRegister.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "presage_events_accepted_total",
			Help: "Events durably stored for the first time.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "presage_events_duplicate_total",
			Help: "Events acknowledged that were already stored (retried batches).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "presage_events_rejected_total",
			Help: "Collector requests rejected, by reason.",
		}, []string{"reason"}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "presage_commit_duration_seconds",
			Help:    "Duration of one group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
		}),
		commitEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "presage_commit_events",
			Help:    "Events per group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14), // 1 … 8192
		}),
		scoreFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "presage_scoring_failures_total",
			Help: "Writes stored without predictions because scoring failed.",
		}),
	}
	for _, r := range rejectReasons {
		m.rejected.WithLabelValues(string(r)) // export zeros, so rates work from the start
	}
	if reg != nil {
		reg.MustRegister(m.accepted, m.duplicates, m.rejected, m.commitDuration, m.commitEvents, m.scoreFailures)
	}
	return m
}

// outcome counts the stored and duplicate events of an accepted write.
func (m *Metrics) outcome(o CommitResult) {
	if m == nil {
		return
	}
	m.accepted.Add(float64(o.Stored))
	m.duplicates.Add(float64(o.Duplicates))
}

// reject counts one rejected request under the reason of err's code; codes
// outside the known reasons count as internal.
func (m *Metrics) reject(err error) {
	if m == nil || err == nil {
		return
	}
	code := presage.ErrorCode(err)
	reason := presage.CodeInternal
	for _, r := range rejectReasons {
		if r == code {
			reason = r
		}
	}
	m.rejected.WithLabelValues(string(reason)).Inc()
}

// commit observes one transaction.
func (m *Metrics) commit(d time.Duration, events int) {
	if m == nil {
		return
	}
	m.commitDuration.Observe(d.Seconds())
	m.commitEvents.Observe(float64(events))
}

func (m *Metrics) scoreFailed() {
	if m != nil {
		m.scoreFailures.Inc()
	}
}
