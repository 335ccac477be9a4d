package predict

// FillWeights sets every stored coordinate of m (its z and n, in storage
// order) to next(): the benchmarks of the external test package score
// models whose lookups miss the cache as a trained model's do.
func FillWeights(m *FTRL, next func() float32) {
	for i := range m.zn {
		m.zn[i] = next()
	}
}
