package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Marshal is the one JSON style of every file tailor writes: two-space
// indentation, a final newline, and no HTML escaping (paths and messages
// stay readable).
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Error makes encoding/json's errors name the offset of a syntax error.
func Error(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("%v (at byte %d)", syn, syn.Offset)
	}
	return err
}
