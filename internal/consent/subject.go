package consent

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// A record names its subject (visitor, customer, IP prefix, user agent)
// through a salted commitment, and its hash covers the commitment, not the
// values. Erasing a subject blanks the values and the salt: the commitment
// and the chain stay, proving a decision was recorded without saying whose.
// The salt is random per record, so the commitments of one visitor cannot be
// linked to each other, nor to a guessed visitor id, once it is gone.

// SaltBytes is the length of a record's subject salt (hex-encoded in
// Record.SubjectSalt).
const SaltBytes = 16

// NewSubjectSalt returns a fresh random salt: SaltBytes bytes, hex.
func NewSubjectSalt() string {
	b := make([]byte, SaltBytes)
	if _, err := rand.Read(b); err != nil {
		panic("consent: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// CanonicalSubject returns the canonical JSON the subject commitment is the
// hash of, in this fixed key order:
//
//	{"salt","visitorId","customerId","ipPrefix","userAgent"}
//
// with strings written as in CanonicalRecord.
func CanonicalSubject(salt, visitorID, customerID, ipPrefix, userAgent string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"salt":`)
	writeString(&b, salt)
	b.WriteString(`,"visitorId":`)
	writeString(&b, visitorID)
	b.WriteString(`,"customerId":`)
	writeString(&b, customerID)
	b.WriteString(`,"ipPrefix":`)
	writeString(&b, ipPrefix)
	b.WriteString(`,"userAgent":`)
	writeString(&b, userAgent)
	b.WriteByte('}')
	return b.Bytes()
}

// SubjectCommitment returns the hex SHA-256 of r's CanonicalSubject: the
// value of r.SubjectCommitment while r holds its salt.
func SubjectCommitment(r Record) string {
	sum := sha256.Sum256(CanonicalSubject(r.SubjectSalt, r.VisitorID, r.CustomerID, r.IPPrefix, r.UserAgent))
	return hex.EncodeToString(sum[:])
}

// Seal gives r a fresh salt and the commitment to its subject, making it a
// version 2 record; HashRecord is computed after it.
func Seal(r Record) Record {
	r.SubjectSalt = NewSubjectSalt()
	r.SubjectCommitment = SubjectCommitment(r)
	return r
}

// Anonymized reports whether r is a version 2 record whose subject was
// erased: no salt and no identifying value left.
func Anonymized(r Record) bool {
	return r.SubjectCommitment != "" && r.SubjectSalt == "" &&
		r.VisitorID == "" && r.CustomerID == "" && r.IPPrefix == "" && r.UserAgent == ""
}

// subjectProblem returns why r's identifying values do not match its
// commitment, "" when they do (or r is version 1, whose hash covers them).
func subjectProblem(r Record) string {
	switch {
	case r.SubjectCommitment == "":
		return ""
	case r.SubjectSalt == "":
		if !Anonymized(r) {
			return "it has lost its salt but still names a subject"
		}
		return ""
	case SubjectCommitment(r) != r.SubjectCommitment:
		return "its visitor, customer, IP prefix or user agent does not match its subject commitment"
	}
	return ""
}
