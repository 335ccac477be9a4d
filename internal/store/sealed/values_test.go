package sealed

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"slices"
	"testing"

	"github.com/presage-dev/presage/internal/keys"
)

func testSealer(t *testing.T) (*keys.Keyring, *keys.Sealer) {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	m, err := keys.NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	k := keys.NewKeyring(keys.NewMemStore(), m)
	s, err := k.Sealers(context.Background(), "org_1", []string{"v1"})
	if err != nil {
		t.Fatal(err)
	}
	return k, s["v1"]
}

func TestUnquote(t *testing.T) {
	_, s := testSealer(t)
	sealed := s.Seal("x")
	for _, c := range []struct {
		name, raw string
		want      string
		ok        bool
	}{
		{"sealed string", `"` + sealed + `"`, sealed, true},
		{"clear string", `"https://shop.example"`, "", false},
		{"clear string that looks sealed but escapes", `"ps1:a\"b"`, "", false},
		{"object", `{"a":1}`, "", false},
		{"number", `23.5`, "", false},
		{"empty", ``, "", false},
		{"unterminated", `"ps1:abc`, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := unquote([]byte(c.raw))
			if got != c.want || ok != c.ok {
				t.Fatalf("unquote(%s) = %q, %v; want %q, %v", c.raw, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestSealedIn(t *testing.T) {
	_, s := testSealer(t)
	a, b := s.Seal("a"), s.Seal("b")
	for _, c := range []struct {
		name, raw string
		want      []string
	}{
		{"attributes", `"` + a + `"`, []string{a}},
		{"traits", `{"email":"` + a + `","plan":"gold","name":"` + b + `"}`, []string{a, b}},
		{"clear", `{"price":23.5}`, nil},
		{"empty", ``, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := sealedIn([]byte(c.raw), nil); !slices.Equal(got, c.want) {
				t.Fatalf("sealedIn(%s) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}

func TestTraitsRoundTrip(t *testing.T) {
	k, s := testSealer(t)
	// A customer whose traits were partly written before encryption.
	mixed := `{"plan":"gold","email":` + string(quote(s.Seal(`"ada@example.com"`))) + `}`
	for _, c := range []struct {
		name   string
		stored func() (json.RawMessage, error)
		want   string // "" for absent
	}{
		{"values of every kind", func() (json.RawMessage, error) {
			return sealTraits(s, json.RawMessage(`{"email":"ada@example.com","age":36,"vip":true,"tags":["a"],"nested":{"x":null},"none":null}`))
		}, `{"email":"ada@example.com","age":36,"vip":true,"tags":["a"],"nested":{"x":null},"none":null}`},
		{"empty object", func() (json.RawMessage, error) { return sealTraits(s, json.RawMessage(`{}`)) }, `{}`},
		{"absent", func() (json.RawMessage, error) { return sealTraits(s, nil) }, ""},
		{"in clear", func() (json.RawMessage, error) { return json.RawMessage(`{"plan":"gold"}`), nil }, `{"plan":"gold"}`},
		{"partly in clear", func() (json.RawMessage, error) { return json.RawMessage(mixed), nil }, `{"plan":"gold","email":"ada@example.com"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			stored, err := c.stored()
			if err != nil {
				t.Fatal(err)
			}
			o := &opener{ctx: context.Background(), keys: k, orgID: "org_1"}
			got, err := o.traits(stored)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(got) != 0 {
					t.Fatalf("opened %s, want absent", got)
				}
				return
			}
			if canon(t, string(got)) != canon(t, c.want) {
				t.Fatalf("opened %s, want %s", got, c.want)
			}
		})
	}
}

func canon(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSealTraitsRejectsNonObject(t *testing.T) {
	_, s := testSealer(t)
	if _, err := sealTraits(s, json.RawMessage(`["a"]`)); err == nil {
		t.Fatal("sealTraits of an array: want an error")
	}
}
