package keys_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/presage-dev/presage/internal/keys"
)

func benchKeyring(b *testing.B) *keys.Keyring {
	raw := make([]byte, 32)
	rand.Read(raw)
	m, err := keys.NewMasterKey(raw)
	if err != nil {
		b.Fatal(err)
	}
	return keys.NewKeyring(keys.NewMemStore(), m)
}

// BenchmarkSealersNew measures Sealers for 100 visitors without keys: the
// data keys a batch of new visitors creates.
func BenchmarkSealersNew(b *testing.B) {
	k := benchKeyring(b)
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
	k := benchKeyring(b)
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
