package harden

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/docker/docker/api/types/container"
)

// Request is a container create body (POST /containers/create), decoded
// into Docker's API types. The fields those types do not know (a newer or
// an older API's) are kept as they came and sent on by Encode.
type Request struct {
	container.CreateRequest
	extra     map[string]json.RawMessage // top-level fields the types do not know
	hostExtra map[string]json.RawMessage // HostConfig's
}

// Decode reads a create body. A body that names one of the fields Docker
// reads twice, in spellings that differ only in case (Docker's decoder
// takes either), is refused: which one the daemon would obey is not worth
// guessing when one of them may be what hardening replaces.
func Decode(body []byte) (*Request, error) {
	r := &Request{}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, &r.CreateRequest); err != nil {
		return nil, fmt.Errorf("the create request's body: %w", err)
	}
	if r.Config == nil {
		r.Config = &container.Config{}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("the create request's body: %w", err)
	}
	var err error
	if r.extra, err = unknownFields(top, topFields); err != nil {
		return nil, err
	}
	for k, v := range top {
		if strings.EqualFold(k, "HostConfig") && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			var host map[string]json.RawMessage
			if err := json.Unmarshal(v, &host); err != nil {
				return nil, fmt.Errorf("the create request's HostConfig: %w", err)
			}
			if r.hostExtra, err = unknownFields(host, hostFields); err != nil {
				return nil, fmt.Errorf("HostConfig: %w", err)
			}
		}
	}
	return r, nil
}

// Encode writes the request as a create body: Docker's types, plus the
// fields they did not know.
func (r *Request) Encode() ([]byte, error) {
	typed, err := json.Marshal(r.CreateRequest)
	if err != nil {
		return nil, err
	}
	if len(r.extra) == 0 && len(r.hostExtra) == 0 {
		return typed, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(typed, &top); err != nil {
		return nil, err
	}
	for k, v := range r.extra {
		top[k] = v
	}
	if len(r.hostExtra) > 0 {
		var host map[string]json.RawMessage
		if raw, ok := top["HostConfig"]; ok {
			if err := json.Unmarshal(raw, &host); err != nil {
				return nil, err
			}
		}
		if host == nil {
			host = map[string]json.RawMessage{}
		}
		for k, v := range r.hostExtra {
			host[k] = v
		}
		raw, err := json.Marshal(host)
		if err != nil {
			return nil, err
		}
		top["HostConfig"] = raw
	}
	return json.Marshal(top)
}

// Unknown lists the fields the API types did not know, top-level ones
// first, HostConfig's as HostConfig.NAME.
func (r *Request) Unknown() []string {
	var names []string
	for k := range r.extra {
		names = append(names, k)
	}
	for k := range r.hostExtra {
		names = append(names, "HostConfig."+k)
	}
	return sortedSet(names)
}

// fieldNames are the JSON names of a struct's fields, folded (foldKey:
// the decoder matches names without regard to case), embedded structs'
// included.
func fieldNames(t reflect.Type, into map[string]bool) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				fieldNames(ft, into)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[foldKey(name)] = true
	}
	return into
}

var (
	topFields  = fieldNames(reflect.TypeOf(container.CreateRequest{}), map[string]bool{})
	hostFields = fieldNames(reflect.TypeOf(container.HostConfig{}), map[string]bool{})
)

// unknownFields are the members of obj that known does not name; two
// members whose names differ only in case are an error when known names
// them.
func unknownFields(obj map[string]json.RawMessage, known map[string]bool) (map[string]json.RawMessage, error) {
	var extra map[string]json.RawMessage
	seen := map[string]string{}
	for k, v := range obj {
		low := foldKey(k)
		if other, dup := seen[low]; dup && known[low] {
			return nil, errors.New("the fields " + other + " and " + k + " differ only in case: refused, the daemon would take one of them")
		}
		seen[low] = k
		if known[low] {
			continue
		}
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		extra[k] = v
	}
	return extra, nil
}

// foldKey maps a name to one spelling per class of names that
// encoding/json's case-insensitive match would take for each other
// (including the Kelvin sign for k and the long s for s): each rune
// becomes the least of its case-folding orbit.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
