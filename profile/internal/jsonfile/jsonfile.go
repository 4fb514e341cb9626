package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Error makes encoding/json's errors name where in data they are: the
// line and column of a syntax error or of a value of the wrong type, so
// that a hand-edited file's mistake can be found.
func Error(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %s: %v", lineCol(data, syn.Offset), syn)
	case errors.As(err, &typ):
		return fmt.Errorf("line %s: %v", lineCol(data, typ.Offset), typ)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %s: unexpected end of the file", lineCol(data, int64(len(data))))
	}
	return err
}

// lineCol is "L, column C" (1-based) of byte offset off in data; encoding/json
// reports the offset just after the byte it stopped at.
func lineCol(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Sprintf("%d, column %d", line, max(col, 1))
}
