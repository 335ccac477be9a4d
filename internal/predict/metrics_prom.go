package predict

import "github.com/prometheus/client_golang/prometheus"

// TrainerMetrics are the trainer's Prometheus metrics. A nil
// *TrainerMetrics is valid and records nothing.
type TrainerMetrics struct {
	sessions    prometheus.Counter
	examples    prometheus.Counter
	checkpoints *prometheus.CounterVec
	leading     prometheus.Gauge
}

// NewTrainerMetrics creates the trainer's metrics and registers them with
// reg (none when reg is nil).
func NewTrainerMetrics(reg prometheus.Registerer) *TrainerMetrics {
	m := &TrainerMetrics{
		sessions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "presage_trainer_sessions_total",
			Help: "Ended sessions learned, counted once per outcome model.",
		}),
		examples: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "presage_trainer_examples_total",
			Help: "Training examples (scored moments) learned.",
		}),
		checkpoints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "presage_trainer_checkpoints_total",
			Help: "Model checkpoints written, by result (ok, or fenced when another node took over).",
		}, []string{"result"}),
		leading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "presage_trainer_leases",
			Help: "Organizations whose trainer lease this node holds.",
		}),
	}
	m.checkpoints.WithLabelValues("ok")
	m.checkpoints.WithLabelValues("fenced")
	if reg != nil {
		reg.MustRegister(m.sessions, m.examples, m.checkpoints, m.leading)
	}
	return m
}

func (m *TrainerMetrics) learned(examples int) {
	if m != nil && examples > 0 {
		m.sessions.Inc()
		m.examples.Add(float64(examples))
	}
}

func (m *TrainerMetrics) checkpoint(result string) {
	if m != nil {
		m.checkpoints.WithLabelValues(result).Inc()
	}
}

func (m *TrainerMetrics) leases(n int) {
	if m != nil {
		m.leading.Set(float64(n))
	}
}
