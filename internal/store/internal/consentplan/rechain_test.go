package consentplan

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/consent"
)

// chainOf builds a sound chain of n records; sealed(i) says which are
// version 2 (a rolling upgrade can leave version 1 records after sealed ones).
func chainOf(n int, sealed func(i int) bool) ([]consent.Record, consent.Head) {
	var out []consent.Record
	prev := ""
	for i := range n {
		r := consent.Record{OrgID: "org_1", Seq: int64(i + 1), ID: fmt.Sprintf("cr_%d", i+1), VisitorID: "visitor-1",
			Action: consent.ActionGrant, Decisions: map[string]consent.Decision{"analytics": consent.Granted},
			Method: consent.MethodBanner, RecordedAt: time.UnixMilli(int64(i) * 1000).UTC(), IPPrefix: "203.0.113.0/24",
			PrevHash: prev}
		if sealed(i) {
			r = consent.Seal(r)
		}
		r.Hash = consent.HashRecord(r)
		prev = r.Hash
		out = append(out, r)
	}
	return out, consent.Head{Seq: int64(n), Hash: prev}
}

func TestRechain(t *testing.T) {
	all := func(int) bool { return true }
	none := func(int) bool { return false }
	tests := []struct {
		name    string
		sealed  func(i int) bool
		tamper  func(recs []consent.Record, h *consent.Head)
		changed int64
		broken  bool
	}{
		{"version 1 chain", none, nil, 4, false},
		{"sealed chain", all, nil, 0, false},
		{"version 1 after sealed", func(i int) bool { return i < 2 }, nil, 2, false},
		{"sealed after version 1", func(i int) bool { return i >= 2 }, nil, 4, false},
		{"anonymized record", all, func(r []consent.Record, _ *consent.Head) {
			r[1].VisitorID, r[1].IPPrefix, r[1].SubjectSalt = "", "", ""
		}, 0, false},
		{"altered version 1 record", none, func(r []consent.Record, _ *consent.Head) { r[1].UserAgent = "forged" }, 0, true},
		{"altered subject of a sealed record", all, func(r []consent.Record, _ *consent.Head) { r[2].VisitorID = "visitor-2" }, 0, true},
		{"deleted record", none, func(r []consent.Record, _ *consent.Head) { r[2].Seq = 9 }, 0, true},
		{"broken link", none, func(r []consent.Record, _ *consent.Head) {
			r[2].PrevHash = "x"
			r[2].Hash = consent.HashRecord(r[2])
		}, 0, true},
		{"head behind", none, func(_ []consent.Record, h *consent.Head) { h.Seq-- }, 0, true},
		{"head altered", none, func(_ []consent.Record, h *consent.Head) { h.Hash = "x" }, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, head := chainOf(4, tt.sealed)
			if tt.tamper != nil {
				tt.tamper(recs, &head)
			}
			var c Rechain
			var out []consent.Record
			var err error
			for _, r := range recs {
				var o consent.Record
				if o, _, err = c.Next(r); err != nil {
					break
				}
				out = append(out, o)
			}
			var newHead consent.Head
			if err == nil {
				newHead, err = c.Head(head)
			}
			if tt.broken {
				if !errors.Is(err, ErrChainBroken) {
					t.Fatalf("rechain of a broken chain: %v, want ErrChainBroken", err)
				}
				return
			}
			if err != nil || c.Changed != tt.changed {
				t.Fatalf("rechain: %v, %d changed, want %d", err, c.Changed, tt.changed)
			}
			// The result is a sound, sealed chain that keeps every other field.
			prev := ""
			for i, r := range out {
				if consent.RecordVersion(r) != consent.RecordV2 || r.PrevHash != prev || r.Hash != consent.HashRecord(r) ||
					r.SubjectSalt != "" && consent.SubjectCommitment(r) != r.SubjectCommitment || r.ID != recs[i].ID ||
					r.VisitorID != recs[i].VisitorID || r.Seq != recs[i].Seq {
					t.Fatalf("record %d after rechain: %+v", r.Seq, r)
				}
				prev = r.Hash
			}
			if newHead != (consent.Head{Seq: 4, Hash: prev}) {
				t.Fatalf("head %+v, want seq 4 %s", newHead, prev)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	if got := Subjects([]string{"", "a", "b", "a", ""}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Subjects = %v", got)
	}
	if got := Subjects(nil); got == nil || len(got) != 0 {
		t.Fatalf("Subjects(nil) = %#v, want an empty list (encoded as [], not null)", got)
	}
}
