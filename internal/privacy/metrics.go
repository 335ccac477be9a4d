package privacy

import "github.com/prometheus/client_golang/prometheus"

// Metrics count data subject requests and retention purges. A nil
// *Metrics counts nothing.
type Metrics struct {
	receivedTotal *prometheus.CounterVec
	finishedTotal *prometheus.CounterVec
	purgedTotal   *prometheus.CounterVec
}

// NewMetrics registers the privacy metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		receivedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "presage_gdpr_requests_received_total",
			Help: "Data subject requests received, by type."}, []string{"type"}),
		finishedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "presage_gdpr_requests_finished_total",
			Help: "Data subject requests finished, by type and status (completed or error)."}, []string{"type", "status"}),
		purgedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "presage_retention_purged_total",
			Help: "Rows removed by the retention purge, by kind."}, []string{"kind"}),
	}
	reg.MustRegister(m.receivedTotal, m.finishedTotal, m.purgedTotal)
	return m
}

func (m *Metrics) received(t RequestType) {
	if m != nil {
		m.receivedTotal.WithLabelValues(string(t)).Inc()
	}
}

func (m *Metrics) completed(t RequestType, st Status) {
	if m != nil {
		m.finishedTotal.WithLabelValues(string(t), string(st)).Inc()
	}
}

func (m *Metrics) purgedRows(c Counts) {
	if m != nil {
		for k, v := range c {
			m.purgedTotal.WithLabelValues(k).Add(float64(v))
		}
	}
}
