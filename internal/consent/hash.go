package consent

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
)

// The canonical forms below are the contract of the ledger: anyone holding an
// export can recompute every hash with them. Keys appear in a fixed order,
// strings are written as encoding/json writes them without HTML escaping
// (\", \\, \n, \r, \t, \u00XX for other control characters, \u2028, \u2029;
// invalid UTF-8 becomes U+FFFD), integers in decimal, times as Unix
// milliseconds, and maps as objects with keys sorted bytewise.

// Record format versions. A version 1 record's hash covers the subject's
// identifying values in clear; a version 2 record's hash covers its subject
// commitment instead, so erasing those values leaves the chain intact.
const (
	RecordV1 = 1
	RecordV2 = 2
)

// RecordVersion returns the format of r: version 2 when it carries a subject
// commitment, version 1 (written before migration 0005) otherwise.
func RecordVersion(r Record) int {
	if r.SubjectCommitment != "" {
		return RecordV2
	}
	return RecordV1
}

// CanonicalRecord returns the canonical JSON of every field of r except Hash
// (and the salt and identifying values, which the commitment stands for):
//
//	version 2: {"v":2,"orgId","seq","id","subject":commitment,"action","decisions":{purpose: decision, …sorted},
//	            "noticeVersion","noticeHash","method","recordedAt":unixMs,"artefact","prevHash"}
//	version 1: {"orgId","seq","id","visitorId","customerId","action","decisions":{…sorted},
//	            "noticeVersion","noticeHash","method","recordedAt":unixMs,"ipPrefix","userAgent","artefact","prevHash"}
//
// The two cannot be confused: only version 2 starts with "v". The artefact
// is compacted (json.Compact) and null when empty. An artefact that is not
// valid JSON (only a damaged row can hold one) is written instead as
// "artefactRaw": base64 of its bytes, so it still hashes unambiguously.
func CanonicalRecord(r Record) []byte {
	var b bytes.Buffer
	v2 := RecordVersion(r) == RecordV2
	if v2 {
		b.WriteString(`{"v":2,"orgId":`)
	} else {
		b.WriteString(`{"orgId":`)
	}
	writeString(&b, r.OrgID)
	b.WriteString(`,"seq":`)
	b.WriteString(strconv.FormatInt(r.Seq, 10))
	b.WriteString(`,"id":`)
	writeString(&b, r.ID)
	if v2 {
		b.WriteString(`,"subject":`)
		writeString(&b, r.SubjectCommitment)
	} else {
		b.WriteString(`,"visitorId":`)
		writeString(&b, r.VisitorID)
		b.WriteString(`,"customerId":`)
		writeString(&b, r.CustomerID)
	}
	b.WriteString(`,"action":`)
	writeString(&b, string(r.Action))
	b.WriteString(`,"decisions":`)
	writeSortedMap(&b, r.Decisions)
	b.WriteString(`,"noticeVersion":`)
	b.WriteString(strconv.Itoa(r.NoticeVersion))
	b.WriteString(`,"noticeHash":`)
	writeString(&b, r.NoticeHash)
	b.WriteString(`,"method":`)
	writeString(&b, string(r.Method))
	b.WriteString(`,"recordedAt":`)
	b.WriteString(strconv.FormatInt(r.RecordedAt.UnixMilli(), 10))
	if !v2 {
		b.WriteString(`,"ipPrefix":`)
		writeString(&b, r.IPPrefix)
		b.WriteString(`,"userAgent":`)
		writeString(&b, r.UserAgent)
	}
	if len(bytes.TrimSpace(r.Artefact)) == 0 {
		b.WriteString(`,"artefact":null`)
	} else {
		var c bytes.Buffer
		if err := json.Compact(&c, r.Artefact); err == nil {
			b.WriteString(`,"artefact":`)
			b.Write(c.Bytes())
		} else {
			b.WriteString(`,"artefactRaw":`)
			writeString(&b, base64.StdEncoding.EncodeToString(r.Artefact))
		}
	}
	b.WriteString(`,"prevHash":`)
	writeString(&b, r.PrevHash)
	b.WriteByte('}')
	return b.Bytes()
}

// HashRecord returns the hex SHA-256 of r.PrevHash + "\n" + CanonicalRecord(r):
// the value of r.Hash in an intact chain.
func HashRecord(r Record) string {
	h := sha256.New()
	h.Write([]byte(r.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(CanonicalRecord(r))
	return hex.EncodeToString(h.Sum(nil))
}

// CanonicalNotice returns the canonical JSON of a notice:
// {"orgId","version","language","title","texts":{purpose: text, …sorted},"bases":{purpose: basis, …sorted}}.
// "bases" is left out when the notice records none (notices stored before
// bases were recorded keep the hash they were given).
func CanonicalNotice(n Notice) []byte {
	var b bytes.Buffer
	b.WriteString(`{"orgId":`)
	writeString(&b, n.OrgID)
	b.WriteString(`,"version":`)
	b.WriteString(strconv.Itoa(n.Version))
	b.WriteString(`,"language":`)
	writeString(&b, n.Language)
	b.WriteString(`,"title":`)
	writeString(&b, n.Title)
	b.WriteString(`,"texts":`)
	writeSortedMap(&b, n.Texts)
	if len(n.Bases) > 0 {
		b.WriteString(`,"bases":`)
		writeSortedMap(&b, n.Bases)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// NoticeHash returns the hex SHA-256 of CanonicalNotice(n): the value of
// n.SHA256.
func NoticeHash(n Notice) string {
	sum := sha256.Sum256(CanonicalNotice(n))
	return hex.EncodeToString(sum[:])
}

// writeSortedMap writes m as a JSON object with keys sorted bytewise.
func writeSortedMap[V ~string](b *bytes.Buffer, m map[string]V) {
	b.WriteByte('{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, k)
		b.WriteByte(':')
		writeString(b, string(m[k]))
	}
	b.WriteByte('}')
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
