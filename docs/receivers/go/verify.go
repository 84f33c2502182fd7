// Verify a hookstream delivery (Coverbase-Signature) with the Go standard library only.
//
//	header:  the Coverbase-Signature header, e.g. "t=1767268800,v1=<hex>[,v1=<hex>...]"
//	body:    the raw request body, exactly as received (do not re-serialise parsed JSON)
//	secrets: your webhook secret(s), "whsec_..."; during a rotation, both the new and the old one
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// ToleranceSec is the accepted clock difference, seconds.
const ToleranceSec = 300

var (
	ErrInvalidSignature = errors.New("signature invalid")
	ErrStaleTimestamp   = errors.New("timestamp outside the tolerance")
)

// Verify checks the header against the body and returns the signed timestamp (unix seconds).
func Verify(header string, body []byte, secrets []string, now time.Time) (int64, error) {
	var timestamp int64 = -1
	var signatures [][]byte
	for _, part := range strings.Split(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, ErrInvalidSignature
		}
		switch key {
		case "t":
			t, err := strconv.ParseInt(value, 10, 64)
			if err != nil || t < 0 || timestamp != -1 {
				return 0, ErrInvalidSignature
			}
			timestamp = t
		case "v1":
			if sig, err := hex.DecodeString(value); err == nil {
				signatures = append(signatures, sig)
			}
		}
	}
	if timestamp < 0 || len(signatures) == 0 {
		return 0, ErrInvalidSignature
	}
	signed := append([]byte(strconv.FormatInt(timestamp, 10)+"."), body...)
	matched := false
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(signed)
		expected := mac.Sum(nil)
		for _, candidate := range signatures {
			// Compare every pair, in constant time: timing tells nothing about which one matched.
			matched = hmac.Equal(expected, candidate) || matched
		}
	}
	if !matched {
		return 0, ErrInvalidSignature
	}
	if d := now.Unix() - timestamp; d > ToleranceSec || d < -ToleranceSec {
		return 0, ErrStaleTimestamp
	}
	return timestamp, nil
}

// Test harness (used by hookstream's CI): a JSON list of cases on stdin, one verdict each on stdout.
func main() {
	var cases []struct {
		Header  string   `json:"header"`
		Body    string   `json:"body"`
		Secrets []string `json:"secrets"`
		Now     int64    `json:"now"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		os.Exit(2)
	}
	verdicts := []string{}
	for _, c := range cases {
		_, err := Verify(c.Header, []byte(c.Body), c.Secrets, time.Unix(c.Now, 0))
		switch {
		case err == nil:
			verdicts = append(verdicts, "ok")
		case errors.Is(err, ErrStaleTimestamp):
			verdicts = append(verdicts, "timestamp")
		default:
			verdicts = append(verdicts, "signature")
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(verdicts)
}
