package consent

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Receipts follow the Kantara Initiative Consent Receipt Specification v1.1,
// signed as a compact JWS (RFC 7515) with EdDSA (Ed25519, RFC 8037).

// Termination tells a visitor how to end processing, in every receipt.
const Termination = "withdraw at any time: the Privacy settings link on the site or ac('consent','withdraw')"

// ReceiptPayload is the signed content of a consent receipt.
type ReceiptPayload struct {
	Version          string              `json:"version"`
	Jurisdiction     string              `json:"jurisdiction"`
	ConsentTimestamp int64               `json:"consentTimestamp"` // Unix seconds of the latest decision
	CollectionMethod string              `json:"collectionMethod"`
	ConsentReceiptID string              `json:"consentReceiptID"`
	Language         string              `json:"language"`
	PIIPrincipalID   string              `json:"piiPrincipalId"`
	PIIControllers   []ReceiptController `json:"piiControllers"`
	PolicyURL        string              `json:"policyUrl"`
	Services         []ReceiptService    `json:"services"`
	Sensitive        bool                `json:"sensitive"`
	SPICat           []string            `json:"spiCat"`
	Ledger           ReceiptLedger       `json:"ledger"`
}

// ReceiptController names the controller.
type ReceiptController struct {
	PIIController string `json:"piiController"`
	OnBehalf      bool   `json:"onBehalf"`
}

// ReceiptService lists the purposes of one service.
type ReceiptService struct {
	Service  string           `json:"service"`
	Purposes []ReceiptPurpose `json:"purposes"`
}

// ReceiptPurpose is the visitor's decision on one purpose. Times are Unix
// seconds; ExpiresAt is omitted for decisions that do not expire.
type ReceiptPurpose struct {
	Purpose              string   `json:"purpose"`
	PurposeCategory      []string `json:"purposeCategory"`
	ConsentType          string   `json:"consentType"`
	PrimaryPurpose       string   `json:"primaryPurpose"`
	Termination          string   `json:"termination"`
	ThirdPartyDisclosure bool     `json:"thirdPartyDisclosure"`
	Decision             Decision `json:"decision"`
	NoticeVersion        int      `json:"noticeVersion,omitempty"`
	NoticeSHA256         string   `json:"noticeSha256,omitempty"`
	DecidedAt            int64    `json:"decidedAt"`
	ExpiresAt            int64    `json:"expiresAt,omitempty"`
}

// ReceiptLedger anchors the receipt in the ledger: the visitor's latest
// record. A controller can check it against the chain, and a visitor holding
// the receipt can prove the chain once had that record.
type ReceiptLedger struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// purposeCategories maps the default purposes to Kantara purpose categories.
var purposeCategories = map[string][]string{
	PurposeAnalytics: {"Improve Performance"},
	PurposeSupport:   {"Personalized Experience"},
	PurposeSales:     {"Marketing", "Personalized Experience"},
	PurposeMarketing: {"Marketing"},
}

// Receipt returns the visitor's consent receipt as a compact JWS signed with
// the organization's key (see JWKS). It is presage.ErrNotFound for a visitor
// without decisions. The receipt ID is the visitor's latest record, so the
// same state always yields the same receipt.
func (s *Service) Receipt(ctx context.Context, visitorID string) (string, error) {
	org, err := presage.AuthorizeSite(ctx)
	if err != nil {
		return "", err
	}
	if !presage.ValidClientID(visitorID) {
		return "", presage.Invalid("/visitorId", -1, "visitorId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
	}
	return s.receipt(ctx, org, visitorID)
}

// receipt builds and signs the receipt of visitorID in org; the caller has
// authorized the request (the site itself, or a data subject request).
func (s *Service) receipt(ctx context.Context, org presage.Organization, visitorID string) (string, error) {
	states, err := s.store.States(ctx, org.ID, visitorID)
	if err != nil {
		return "", fmt.Errorf("states: %w", err)
	}
	if len(states) == 0 {
		return "", presage.ErrNotFound
	}
	recs, err := s.store.SubjectRecords(ctx, org.ID, visitorID, "")
	if err != nil {
		return "", fmt.Errorf("subject records: %w", err)
	}
	if len(recs) == 0 {
		return "", presage.ErrNotFound
	}
	pol, err := s.policy(ctx, org.ID)
	if err != nil {
		return "", err
	}
	bySeq := make(map[int64]Record, len(recs))
	latest := recs[0]
	for _, r := range recs {
		bySeq[r.Seq] = r
		if r.Seq > latest.Seq {
			latest = r
		}
	}
	// The language is that of the newest notice the visitor decided on.
	language, version, versionSeq := "und", 0, int64(0)
	for _, r := range recs {
		if r.NoticeVersion > 0 && r.Seq > versionSeq {
			version, versionSeq = r.NoticeVersion, r.Seq
		}
	}
	if version > 0 {
		if n, err := s.store.GetNotice(ctx, org.ID, version); err == nil {
			language = n.Language
		} else if !presage.IsNotFound(err) {
			return "", fmt.Errorf("get notice: %w", err)
		}
	}
	slices.SortFunc(states, func(a, b State) int { return strings.Compare(a.Purpose, b.Purpose) })
	p := ReceiptPayload{
		Version:          "KI-CR-v1.1.0",
		Jurisdiction:     "EU",
		CollectionMethod: string(latest.Method),
		ConsentReceiptID: latest.ID,
		Language:         language,
		PIIPrincipalID:   visitorID,
		PIIControllers:   []ReceiptController{{PIIController: org.Name}},
		Services:         []ReceiptService{{Service: "Presage", Purposes: []ReceiptPurpose{}}},
		SPICat:           []string{},
		Ledger:           ReceiptLedger{Seq: latest.Seq, Hash: latest.Hash},
	}
	for _, st := range states {
		if t := st.DecidedAt.Unix(); t > p.ConsentTimestamp {
			p.ConsentTimestamp = t
		}
		cat := purposeCategories[st.Purpose]
		if cat == nil {
			cat = []string{}
		}
		rp := ReceiptPurpose{
			Purpose:         st.Purpose,
			PurposeCategory: cat,
			ConsentType:     "EXPLICIT",
			PrimaryPurpose:  pol.purposes[st.Purpose].Description,
			Termination:     Termination,
			Decision:        st.Decision,
			DecidedAt:       st.DecidedAt.Unix(),
		}
		if !st.ExpiresAt.IsZero() {
			rp.ExpiresAt = st.ExpiresAt.Unix()
		}
		if r, ok := bySeq[st.RecordSeq]; ok {
			rp.NoticeVersion, rp.NoticeSHA256 = r.NoticeVersion, r.NoticeHash
		}
		p.Services[0].Purposes = append(p.Services[0].Purposes, rp)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("marshal receipt: %w", err)
	}
	k, err := s.signingKey(ctx, org.ID)
	if err != nil {
		return "", err
	}
	return signJWS(k.KID, k.Private, payload)
}

// signingKey returns orgID's receipt-signing key, generating it, created
// now, on first use; when nodes do that together, the key stored first is
// the one every node signs with.
func (s *Service) signingKey(ctx context.Context, orgID string) (SigningKey, error) {
	k, err := s.store.SigningKey(ctx, orgID)
	if presage.IsNotFound(err) {
		k, err = s.store.CreateSigningKey(ctx, generateKey(orgID, s.nowMs()))
	}
	if err != nil {
		return SigningKey{}, fmt.Errorf("signing key: %w", err)
	}
	return k, nil
}

// generateKey makes a receipt-signing key of orgID; its kid is "cr-" and the
// first 8 bytes, in hex, of the SHA-256 of the public key.
func generateKey(orgID string, at time.Time) SigningKey {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("consent: crypto/rand failed: " + err.Error())
	}
	return SigningKey{OrgID: orgID, KID: keyID(pub), Private: priv, CreatedAt: at}
}

func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "cr-" + hex.EncodeToString(sum[:8])
}

type jwsHeader struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  string   `json:"typ,omitempty"`
	Crit []string `json:"crit,omitempty"`
}

func signJWS(kid string, priv ed25519.PrivateKey, payload []byte) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", errors.New("consent: malformed signing key")
	}
	h, _ := json.Marshal(jwsHeader{Alg: "EdDSA", Kid: kid, Typ: "JWT"})
	b64 := base64.RawURLEncoding
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(payload)
	return input + "." + b64.EncodeToString(ed25519.Sign(priv, []byte(input))), nil
}

// JWK is one public key of a JWKS (RFC 7517, OKP keys of RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
}

// JWKS returns the organization's public receipt-signing keys as a JSON Web
// Key Set, creating the key on first use.
func (s *Service) JWKS(ctx context.Context, orgID string) ([]byte, error) {
	k, err := s.signingKey(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if len(k.Private) != ed25519.PrivateKeySize {
		return nil, errors.New("consent: malformed signing key")
	}
	pub := k.Private.Public().(ed25519.PublicKey)
	return json.Marshal(struct {
		Keys []JWK `json:"keys"`
	}{[]JWK{{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: k.KID, Use: "sig", Alg: "EdDSA"}}})
}

// Limits of VerifyReceipt's input.
const (
	maxJWS  = 64 << 10
	maxJWKS = 64 << 10
)

// VerifyReceipt checks a compact JWS receipt against a JWKS (as JWKS
// returns) and returns its payload. It accepts only alg EdDSA with an
// Ed25519 key of the set named by the header's kid, and no critical header
// extensions. Controllers can use it, or any JOSE library, to check a
// receipt a visitor shows them.
func VerifyReceipt(jws string, jwks []byte) ([]byte, error) {
	bad := func(msg string) error { return presage.Errorf(presage.CodeInvalid, "receipt: %s", msg) }
	if len(jws) > maxJWS || len(jwks) > maxJWKS {
		return nil, bad("too large")
	}
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return nil, bad("not a compact JWS")
	}
	b64 := base64.RawURLEncoding.Strict()
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, bad("malformed header")
	}
	var h jwsHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, bad("malformed header")
	}
	if h.Alg != "EdDSA" {
		return nil, bad("algorithm must be EdDSA")
	}
	if len(h.Crit) > 0 {
		return nil, bad("unsupported critical header")
	}
	var set struct {
		Keys []JWK `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, bad("malformed key set")
	}
	var pub ed25519.PublicKey
	for _, k := range set.Keys {
		if k.Kid != h.Kid || k.Kty != "OKP" || k.Crv != "Ed25519" || k.Alg != "" && k.Alg != "EdDSA" || k.Use != "" && k.Use != "sig" {
			continue
		}
		x, err := b64.DecodeString(k.X)
		if err == nil && len(x) == ed25519.PublicKeySize {
			pub = x
			break
		}
	}
	if pub == nil {
		return nil, bad("no matching key")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, bad("malformed signature")
	}
	if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
		return nil, bad("signature does not verify")
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil || !json.Valid(payload) {
		return nil, bad("malformed payload")
	}
	return payload, nil
}
