package consent

import (
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

// chain returns an env whose testOrg chain has n records.
func chain(t *testing.T, n int) *env {
	t.Helper()
	e := newEnv(t)
	actions := []Action{ActionGrant, ActionDeny, ActionWithdraw}
	for i := range n {
		v := []string{visitorA, visitorB, visitorKnown}[i%3]
		e.decide(t, DecisionInput{VisitorID: v, Action: actions[i%3], NoticeVersion: 1, Purposes: []string{"analytics"}})
	}
	return e
}

// rehash recomputes the hash of recs[i] (an attacker who knows the format).
func rehash(recs []Record, i int) { recs[i].Hash = HashRecord(recs[i]) }

func TestVerify(t *testing.T) {
	const n = 10
	tests := []struct {
		name   string
		tamper func(recs []Record) []Record
		head   func(h Head) Head
		kind   string
		seq    int64
	}{
		{"intact", nil, nil, "", 0},
		{"altered decision", func(r []Record) []Record { r[4].Decisions["analytics"] = Granted; r[4].Action = ActionGrant; return r }, nil, ProblemAltered, 5},
		{"altered time", func(r []Record) []Record { r[0].RecordedAt = r[0].RecordedAt.Add(1e6); return r }, nil, ProblemAltered, 1},
		{"altered and rehashed", func(r []Record) []Record { r[4].Decisions["analytics"] = Granted; rehash(r, 4); return r }, nil, ProblemAltered, 5},
		{"altered last and rehashed", func(r []Record) []Record { r[9].Method = MethodAPI; rehash(r, 9); return r }, nil, ProblemAltered, 10},
		{"deleted middle", func(r []Record) []Record { return append(r[:4:4], r[5:]...) }, nil, ProblemDeleted, 5},
		{"deleted first", func(r []Record) []Record { return r[1:] }, nil, ProblemDeleted, 1},
		{"deleted middle, renumbered", func(r []Record) []Record {
			r = append(r[:4:4], r[5:]...)
			for i := 4; i < len(r); i++ {
				r[i].Seq--
			}
			return r
		}, func(h Head) Head { h.Seq--; return h }, ProblemDeleted, 5},
		{"deleted tail", func(r []Record) []Record { return r[:n-1] }, nil, ProblemDeleted, n},
		{"deleted two at the tail", func(r []Record) []Record { return r[:n-2] }, nil, ProblemDeleted, n - 1},
		{"inserted middle, renumbered", func(r []Record) []Record {
			forged := r[3]
			forged.ID, forged.Seq, forged.PrevHash = "cr_forged", 5, r[3].Hash
			forged.Decisions = map[string]Decision{"marketing": Granted}
			forged.Hash = HashRecord(forged)
			out := append(append(r[:4:4], forged), r[4:]...)
			for i := 5; i < len(out); i++ {
				out[i].Seq++
			}
			return out
		}, func(h Head) Head { h.Seq++; return h }, ProblemInserted, 5},
		{"inserted duplicate seq", func(r []Record) []Record {
			forged := r[4]
			forged.ID = "cr_forged"
			return append(append(r[:5:5], forged), r[5:]...)
		}, nil, ProblemInserted, 5},
		{"inserted at the tail", func(r []Record) []Record {
			forged := r[n-1]
			forged.ID, forged.Seq, forged.PrevHash = "cr_forged", n+1, r[n-1].Hash
			forged.Hash = HashRecord(forged)
			return append(r, forged)
		}, nil, ProblemInserted, n + 1},
		{"altered visitor", func(r []Record) []Record { r[2].VisitorID = visitorA; return r }, nil, ProblemAltered, 3},
		{"altered customer", func(r []Record) []Record { r[2].CustomerID = "cus_forged"; return r }, nil, ProblemAltered, 3},
		{"altered ip prefix", func(r []Record) []Record { r[3].IPPrefix = "198.51.100.0/24"; return r }, nil, ProblemAltered, 4},
		{"altered user agent", func(r []Record) []Record { r[9].UserAgent = "forged"; return r }, nil, ProblemAltered, 10},
		{"altered visitor, new commitment", func(r []Record) []Record {
			r[2].VisitorID = visitorA
			r[2].SubjectCommitment = SubjectCommitment(r[2])
			return r
		}, nil, ProblemAltered, 3},
		{"anonymized", func(r []Record) []Record {
			for _, i := range []int{2, 5, 8} {
				r[i].VisitorID, r[i].CustomerID, r[i].IPPrefix, r[i].UserAgent, r[i].SubjectSalt = "", "", "", "", ""
			}
			return r
		}, nil, "", 0},
		{"salt erased, subject kept", func(r []Record) []Record { r[2].SubjectSalt = ""; return r }, nil, ProblemAltered, 3},
		{"anonymized, then attributed", func(r []Record) []Record {
			r[2].CustomerID, r[2].IPPrefix, r[2].UserAgent, r[2].SubjectSalt = "", "", "", ""
			return r
		}, nil, ProblemAltered, 3},
		{"reordered", func(r []Record) []Record {
			r[4], r[5] = r[5], r[4]
			r[4].Seq, r[5].Seq = 5, 6
			return r
		}, nil, ProblemReordered, 5},
	}
	for _, tt := range tests {
		e := chain(t, n)
		if tt.tamper != nil {
			e.store.tamper(testOrg, tt.tamper)
		}
		if tt.head != nil {
			e.store.mu.Lock()
			e.store.heads[testOrg] = tt.head(e.store.heads[testOrg])
			e.store.mu.Unlock()
		}
		rep, err := e.svc.Verify(as(presage.ScopeAdmin))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.kind == "" {
			if !rep.OK || rep.Problem != nil || rep.Records != n || rep.Head.Seq != n {
				t.Errorf("%s: %+v %+v", tt.name, rep, rep.Problem)
			}
			continue
		}
		if rep.OK || rep.Problem == nil || rep.Problem.Kind != tt.kind || rep.Problem.Seq != tt.seq || rep.Problem.Detail == "" {
			t.Errorf("%s: report %+v, problem %+v; want %s at seq %d", tt.name, rep, rep.Problem, tt.kind, tt.seq)
		}
		if tt.kind == ProblemInserted && rep.Problem.RecordID != "cr_forged" {
			t.Errorf("%s: names record %q, want cr_forged", tt.name, rep.Problem.RecordID)
		}
	}
}

func TestVerifyPagesAndEmpty(t *testing.T) {
	e := newEnv(t)
	if rep, err := e.svc.verifyChain(bg, testOrg); err != nil || !rep.OK || rep.Records != 0 {
		t.Errorf("empty chain: %+v %v", rep, err)
	}
	e = chain(t, 2*verifyPage+5)
	if rep, err := e.svc.verifyChain(bg, testOrg); err != nil || !rep.OK || rep.Records != 2*verifyPage+5 {
		t.Errorf("long chain: %+v %+v %v", rep, rep.Problem, err)
	}
	// A break across a page boundary: delete seq 1001 and renumber.
	e.store.tamper(testOrg, func(r []Record) []Record {
		r = append(r[:verifyPage:verifyPage], r[verifyPage+1:]...)
		for i := verifyPage; i < len(r); i++ {
			r[i].Seq--
		}
		return r
	})
	e.store.mu.Lock()
	h := e.store.heads[testOrg]
	h.Seq--
	e.store.heads[testOrg] = h
	e.store.mu.Unlock()
	if rep, _ := e.svc.verifyChain(bg, testOrg); rep.OK || rep.Problem.Kind != ProblemDeleted || rep.Problem.Seq != verifyPage+1 {
		t.Errorf("break at a page boundary: %+v", rep.Problem)
	}
}
