package consent

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func TestReceipt(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Receipt(e.site(), visitorA); !presage.IsNotFound(err) {
		t.Fatalf("receipt without decisions: %v, want not found", err)
	}
	in := grantAll(visitorA)
	in.Signals = presage.PrivacySignals{GPC: true}
	e.decide(t, in)
	e.clock.Advance(90 * 1e9)
	last, _ := e.decide(t, DecisionInput{VisitorID: visitorA, Action: ActionWithdraw, Purposes: []string{"support"}, Method: MethodPreferences})

	jws, err := e.svc.Receipt(e.site(), visitorA)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := e.svc.JWKS(bg, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := VerifyReceipt(jws, jwks)
	if err != nil {
		t.Fatal(err)
	}
	var p ReceiptPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	n1, _ := e.store.GetNotice(bg, testOrg, 1)
	if p.Version != "KI-CR-v1.1.0" || p.Jurisdiction != "EU" || p.PIIPrincipalID != visitorA || p.ConsentReceiptID != last.ID ||
		p.ConsentTimestamp != t0.Unix()+90 || p.CollectionMethod != "preferences" || p.Language != "en" ||
		len(p.PIIControllers) != 1 || p.PIIControllers[0].PIIController != "Shop Example SA" || p.PIIControllers[0].OnBehalf ||
		p.Ledger.Seq != last.Seq || p.Ledger.Hash != last.Hash || p.Sensitive || p.SPICat == nil || len(p.Services) != 1 {
		t.Errorf("payload = %s", payload)
	}
	got := map[string]ReceiptPurpose{}
	for _, rp := range p.Services[0].Purposes {
		got[rp.Purpose] = rp
	}
	a := got["analytics"]
	if len(got) != 4 || a.Decision != Granted || a.NoticeVersion != 1 || a.NoticeSHA256 != n1.SHA256 || a.ConsentType != "EXPLICIT" ||
		a.Termination != Termination || a.ExpiresAt != t0.Add(DefaultTTL).Unix() || a.PrimaryPurpose == "" || a.PurposeCategory[0] != "Improve Performance" {
		t.Errorf("analytics = %+v", a)
	}
	if s := got["support"]; s.Decision != Withdrawn || s.ExpiresAt != 0 || s.NoticeVersion != 0 || s.DecidedAt != t0.Unix()+90 {
		t.Errorf("support = %+v", s)
	}
	if got["sales"].Decision != Objected || got["marketing"].Decision != Objected {
		t.Errorf("GPC objections missing: %+v", got)
	}

	// The JWKS and the header.
	var set struct{ Keys []JWK }
	_ = json.Unmarshal(jwks, &set)
	k := set.Keys[0]
	x, _ := base64.RawURLEncoding.DecodeString(k.X)
	sum := sha256.Sum256(x)
	if len(set.Keys) != 1 || k.Kty != "OKP" || k.Crv != "Ed25519" || k.Use != "sig" || k.Alg != "EdDSA" || len(x) != 32 ||
		k.Kid != "cr-"+hex.EncodeToString(sum[:8]) {
		t.Errorf("jwks = %s", jwks)
	}
	hb, _ := base64.RawURLEncoding.DecodeString(strings.Split(jws, ".")[0])
	if string(hb) != `{"alg":"EdDSA","kid":"`+k.Kid+`","typ":"JWT"}` {
		t.Errorf("header = %s", hb)
	}
	again, _ := e.svc.Receipt(e.site(), visitorA)
	if again != jws {
		t.Error("the same state gave a different receipt")
	}
	// The key was made at the first receipt, on the service's clock.
	if stored, err := e.store.SigningKey(bg, testOrg); err != nil || stored.KID != k.Kid || !stored.CreatedAt.Equal(t0.Add(90*1e9)) {
		t.Errorf("stored signing key %s created %v (%v), want %s created at the service's time", stored.KID, stored.CreatedAt, err, k.Kid)
	}

	// Any changed byte fails.
	parts := strings.Split(jws, ".")
	for i, name := range []string{"header", "payload", "signature"} {
		for _, pos := range []int{0, len(parts[i]) / 2, len(parts[i]) - 1} {
			mod := []byte(parts[i])
			if mod[pos] == 'A' {
				mod[pos] = 'B'
			} else {
				mod[pos] = 'A'
			}
			changed := slicesReplace(parts, i, string(mod))
			if _, err := VerifyReceipt(changed, jwks); err == nil {
				t.Errorf("a receipt with byte %d of its %s changed verified", pos, name)
			}
		}
	}
	// A changed payload byte (decoded), re-encoded.
	pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	pb[len(pb)/2] ^= 1
	if _, err := VerifyReceipt(slicesReplace(parts, 1, base64.RawURLEncoding.EncodeToString(pb)), jwks); err == nil {
		t.Error("a receipt with a flipped payload bit verified")
	}
	// Another organization's key does not verify it.
	other, _ := e.svc.JWKS(bg, "org_other")
	if _, err := VerifyReceipt(jws, other); err == nil {
		t.Error("verified with another organization's keys")
	}
}

func slicesReplace(parts []string, i int, s string) string {
	c := append([]string(nil), parts...)
	c[i] = s
	return strings.Join(c, ".")
}

func TestVerifyReceiptRejects(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	kid := keyID(pub)
	jwks, _ := json.Marshal(map[string][]JWK{"keys": {{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid}}})
	good, _ := signJWS(kid, priv, []byte(`{"a":1}`))
	if p, err := VerifyReceipt(good, jwks); err != nil || string(p) != `{"a":1}` {
		t.Fatalf("good receipt: %s, %v", p, err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	sign := func(header, payload string) string {
		in := b64([]byte(header)) + "." + b64([]byte(payload))
		return in + "." + b64(ed25519.Sign(priv, []byte(in)))
	}
	tests := map[string]string{
		"empty":            "",
		"two parts":        "a.b",
		"four parts":       good + ".x",
		"alg none":         sign(`{"alg":"none","kid":"`+kid+`"}`, `{}`),
		"alg HS256":        sign(`{"alg":"HS256","kid":"`+kid+`"}`, `{}`),
		"unknown kid":      sign(`{"alg":"EdDSA","kid":"cr-0000"}`, `{}`),
		"crit":             sign(`{"alg":"EdDSA","kid":"`+kid+`","crit":["exp"]}`, `{}`),
		"header not json":  sign(`{alg`, `{}`),
		"payload not json": sign(`{"alg":"EdDSA","kid":"`+kid+`"}`, `not json`),
		"padded":           good + "==",
		"huge":             strings.Repeat("a", maxJWS+1),
		"no signature":     good[:strings.LastIndex(good, ".")+1],
	}
	for name, jws := range tests {
		if _, err := VerifyReceipt(jws, jwks); err == nil {
			t.Errorf("%s: verified", name)
		} else if presage.ErrorCode(err) != presage.CodeInvalid {
			t.Errorf("%s: code %s, want invalid", name, presage.ErrorCode(err))
		}
	}
	for name, set := range map[string]string{
		"not json":   `{`,
		"no keys":    `{"keys":[]}`,
		"wrong kty":  strings.Replace(string(jwks), `"OKP"`, `"EC"`, 1),
		"short x":    strings.Replace(string(jwks), b64(pub), b64(pub[:31]), 1),
		"wrong use":  strings.Replace(string(jwks), `"kid"`, `"use":"enc","kid"`, 1),
		"another x":  strings.Replace(string(jwks), b64(pub), b64(make([]byte, 32)), 1),
		"null":       `null`,
		"keys count": `{"keys":{}}`,
	} {
		if _, err := VerifyReceipt(good, []byte(set)); err == nil {
			t.Errorf("jwks %s: verified", name)
		}
	}
}

func FuzzVerifyReceipt(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	kid := keyID(pub)
	jwks, _ := json.Marshal(map[string][]JWK{"keys": {{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid}}})
	good, _ := signJWS(kid, priv, []byte(`{"version":"KI-CR-v1.1.0"}`))
	f.Add(good, jwks)
	f.Add("a.b.c", []byte(`{"keys":[]}`))
	f.Add("..", []byte(`{}`))
	f.Add(good+"x", jwks)
	f.Fuzz(func(t *testing.T, jws string, set []byte) {
		payload, err := VerifyReceipt(jws, set)
		if err != nil {
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("verified a receipt with an invalid payload %q", payload)
		}
		// A receipt verified with our set carries a genuine signature of our key.
		if string(set) == string(jwks) {
			parts := strings.Split(jws, ".")
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
				t.Fatal("verified without a valid signature")
			}
		}
	})
}
