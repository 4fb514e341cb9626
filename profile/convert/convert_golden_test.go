package convert

import (
	"bytes"
	"testing"

	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func TestGoldenConvert(t *testing.T) {
	web := loadTestProfile(t, "testdata/diff/v1/web")
	oci, err := OCI(web, Options{})
	if err != nil {
		t.Fatal(err)
	}
	profiletest.CheckGolden(t, "convert-web.oci.json", oci)
	line, err := Flags(web)
	if err != nil {
		t.Fatal(err)
	}
	profiletest.CheckGolden(t, "convert-web.flags", []byte(line+"\n"))

	set, _, err := profiledir.LoadAll("testdata/diff/v2")
	if err != nil {
		t.Fatal(err)
	}
	list := []*profiledir.Profile{set["db"], set["web"]}
	k8s, err := K8s(list, Options{})
	if err != nil {
		t.Fatal(err)
	}
	profiletest.CheckGolden(t, "convert-v2.k8s.yaml", k8s)
	compose, err := Compose(list, Options{})
	if err != nil {
		t.Fatal(err)
	}
	profiletest.CheckGolden(t, "convert-v2.compose.yaml", compose)
	v1web, err := Compose([]*profiledir.Profile{web}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	profiletest.CheckGolden(t, "convert-v1-web.compose.yaml", v1web)

	// Deterministic: the same input gives the same bytes.
	again, _ := K8s(list, Options{})
	if !bytes.Equal(again, k8s) {
		t.Error("k8s output differs between two runs")
	}
}

func TestComposeServiceNames(t *testing.T) {
	for _, tc := range []struct{ name, project, want string }{
		{"shop-web-1", "shop", "web"},
		{"shop_web_2", "shop", "web"},
		{"shop-api-gw-1", "shop", "api-gw"},
		{"web", "shop", "web"},
		{"shop-web-1", "", "shop-web-1"},
	} {
		if got := ComposeService(tc.name, tc.project); got != tc.want {
			t.Errorf("ComposeService(%q, %q) = %q, want %q", tc.name, tc.project, got, tc.want)
		}
	}
}
