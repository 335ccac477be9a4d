package keystore

import (
	"context"
	"fmt"
	"testing"

	"github.com/presage-dev/presage/internal/keys"
)

// BenchmarkPooledKeys measures what a new visitor's data key costs a node:
// keys.Keyring.WriteSealers for 4,096 subjects never seen, which the pool
// serves, refilled by durable key-store writes of up to 4,096 keys (the
// first in line, the others in the background, as the collector sees
// them). It reports the cost per key handed out; the key store grows by
// 4,096 keys per iteration, as it does with every new visitor.
//
//	go test -run '^$' -bench BenchmarkPooledKeys ./internal/store/keystore/
func BenchmarkPooledKeys(b *testing.B) {
	const perOp = 4096
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			s, err := Open(context.Background(), e.target(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			k := keys.NewKeyring(s, newMaster(b))
			subjects := make([]string, perOp)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				for j := range subjects {
					subjects[j] = fmt.Sprintf("visitor-%06d-%04d", i, j)
				}
				if _, err := k.WriteSealers(context.Background(), "org", subjects); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perOp), "ns/key")
		})
	}
}
