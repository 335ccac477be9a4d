package keys

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSealersNew measures Sealers for 100 subjects without keys: keys
// made on demand, as rectification and exports do (the collector takes
// pooled keys instead).
func BenchmarkSealersNew(b *testing.B) {
	k := NewKeyring(NewMemStore(), newTestMaster(b))
	ctx := context.Background()
	subjects := make([]string, 100)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range subjects {
			subjects[j] = fmt.Sprintf("v%08d%04d", i, j)
		}
		if _, err := k.Sealers(ctx, "org", subjects); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeal measures sealing the texts of one event (~300 bytes).
func BenchmarkSeal(b *testing.B) {
	k := NewKeyring(NewMemStore(), newTestMaster(b))
	s, err := k.Sealers(context.Background(), "org", []string{"v"})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("https://shop.example/products/", 10)
	b.ReportAllocs()
	for b.Loop() {
		_ = s["v"].Seal(text)
	}
}
