package harden

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDecodeEncode(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		unknown []string
		check   func(t *testing.T, r *Request, out map[string]any)
		err     string
	}{
		{
			name: "the CLI's body",
			body: `{"Image":"busybox","Cmd":["true"],"Labels":{"a":"b"},"HostConfig":{"CapAdd":["NET_ADMIN"],"Privileged":true,"Tmpfs":{"/x":""}},"NetworkingConfig":{"EndpointsConfig":{"net1":{"Aliases":["web"]}}}}`,
			check: func(t *testing.T, r *Request, out map[string]any) {
				if r.Config.Image != "busybox" || !r.HostConfig.Privileged || r.Config.Labels["a"] != "b" {
					t.Errorf("decoded %+v %+v", r.Config, r.HostConfig)
				}
				nc := out["NetworkingConfig"].(map[string]any)["EndpointsConfig"].(map[string]any)["net1"].(map[string]any)
				if !reflect.DeepEqual(nc["Aliases"], []any{"web"}) {
					t.Errorf("networking config lost: %v", nc)
				}
			},
		},
		{
			name:    "fields the types do not know are kept",
			body:    `{"Image":"busybox","FutureField":{"x":1},"HostConfig":{"KernelMemoryTCP":5,"NewHostThing":[1,2],"Memory":10}}`,
			unknown: []string{"FutureField", "HostConfig.NewHostThing"},
			check: func(t *testing.T, r *Request, out map[string]any) {
				if !reflect.DeepEqual(out["FutureField"], map[string]any{"x": 1.0}) {
					t.Errorf("FutureField: %v", out["FutureField"])
				}
				hc := out["HostConfig"].(map[string]any)
				if !reflect.DeepEqual(hc["NewHostThing"], []any{1.0, 2.0}) || hc["Memory"] != 10.0 {
					t.Errorf("HostConfig: %v", hc)
				}
			},
		},
		{
			name: "an empty body",
			body: ``,
			check: func(t *testing.T, r *Request, out map[string]any) {
				if r.Config == nil {
					t.Error("nil Config")
				}
			},
		},
		{
			name: "lower-case names are the known fields",
			body: `{"image":"busybox","hostconfig":{"privileged":true}}`,
			check: func(t *testing.T, r *Request, out map[string]any) {
				if r.Config.Image != "busybox" || r.HostConfig == nil || !r.HostConfig.Privileged {
					t.Errorf("decoded %+v %+v", r.Config, r.HostConfig)
				}
				if _, ok := out["hostconfig"]; ok {
					t.Error("the lower-case spelling was passed on besides HostConfig")
				}
			},
		},
		{name: "two spellings of HostConfig", body: `{"HostConfig":{},"hostConfig":{"Privileged":true}}`, err: "differ only in case"},
		{name: "two spellings of a HostConfig field", body: `{"HostConfig":{"SecurityOpt":[],"ſecurityOpt":["seccomp=unconfined"]}}`, err: "differ only in case"},
		{name: "not JSON", body: `{"Image":`, err: "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Unknown(); !slices.Equal(got, tt.unknown) {
				t.Errorf("unknown %v, want %v", got, tt.unknown)
			}
			enc, err := r.Encode()
			if err != nil {
				t.Fatal(err)
			}
			var out map[string]any
			if err := json.Unmarshal(enc, &out); err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, r, out)
			}
		})
	}
}

// Hardening a decoded body and encoding it: the daemon reads back the
// hardened settings and the unknown fields.
func TestDecodeApplyEncode(t *testing.T) {
	r, err := Decode([]byte(`{"Image":"busybox","Extra":true,"HostConfig":{"Privileged":true,"Other":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	r.CreateRequest, _, err = Apply(testProfile(t, webFlags, true, false), r.CreateRequest, Host{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if back.HostConfig.Privileged || !slices.Equal(back.HostConfig.CapDrop, []string{"ALL"}) || seccompOpt(back.HostConfig.SecurityOpt) == "" {
		t.Errorf("hardening lost: %s", enc)
	}
	if !slices.Equal(back.Unknown(), []string{"Extra", "HostConfig.Other"}) {
		t.Errorf("unknown fields %v", back.Unknown())
	}
}
