package jsonfile

import (
	"encoding/base64"
	"unicode/utf8"
)

// RawBase64 is the base64 copy of a kernel string that JSON cannot carry
// (not UTF-8), "" for one it can.
func RawBase64(s string) string {
	if utf8.ValidString(s) {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}
