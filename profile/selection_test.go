package profile

import (
	"strings"
	"testing"
)

func TestParseMatchErrors(t *testing.T) {
	for _, bad := range []string{"name=", "image=", "label=", "label==x", "colour=red", "name=[", "label=k=["} {
		if _, err := ParseMatch([]string{bad}); err == nil {
			t.Errorf("ParseMatch(%q) accepted it", bad)
		} else if !strings.Contains(err.Error(), "--match") {
			t.Errorf("ParseMatch(%q): error %q does not name the flag", bad, err)
		}
	}
}

func TestMatchSelects(t *testing.T) {
	web := Container{Name: "shop_web_1", Image: "registry:5000/shop/web:1.4", Labels: map[string]string{ComposeServiceLabel: "web", "tier": "front"}}
	db := Container{Name: "/shop_db_1", Image: "sptest/redis", Labels: map[string]string{ComposeServiceLabel: "db"}}
	digest := Container{Name: "job", Image: "sptest/busybox@sha256:0123"}
	tests := []struct {
		exprs []string
		want  []bool // web, db, digest
	}{
		{nil, []bool{true, true, true}},
		{[]string{"shop_*"}, []bool{true, true, false}},
		{[]string{"name=shop_db_?"}, []bool{false, true, false}},
		{[]string{"name=shop_web_1", "name=job"}, []bool{true, false, true}},
		{[]string{"image=sptest/*"}, []bool{false, true, true}},
		{[]string{"image=sptest/busybox"}, []bool{false, false, true}},
		{[]string{"image=registry:5000/shop/web"}, []bool{true, false, false}},
		{[]string{"image=registry:5000/shop/web:1.4"}, []bool{true, false, false}},
		{[]string{"image=registry:5000/shop/web:1.5"}, []bool{false, false, false}},
		{[]string{"label=tier"}, []bool{true, false, false}},
		{[]string{"label=tier=back"}, []bool{false, false, false}},
		{[]string{"label=" + ComposeServiceLabel + "=d*"}, []bool{false, true, false}},
		// Different kinds must all hold.
		{[]string{"shop_*", "image=sptest/*"}, []bool{false, true, false}},
	}
	for _, tt := range tests {
		m, err := ParseMatch(tt.exprs)
		if err != nil {
			t.Fatalf("ParseMatch(%q): %v", tt.exprs, err)
		}
		for i, c := range []Container{web, db, digest} {
			if got := m.Selects(c); got != tt.want[i] {
				t.Errorf("match %q selects %s: %v, want %v", tt.exprs, c.Name, got, tt.want[i])
			}
		}
	}
}

func TestProfileName(t *testing.T) {
	byName, _ := ParseNameBy("")
	byImage, _ := ParseNameBy("image")
	byLabel, _ := ParseNameBy("label=app")
	tests := []struct {
		by   NameBy
		c    Container
		want string
	}{
		{byName, Container{Name: "/web"}, "web"},
		{byImage, Container{Name: "eager_turing", Image: "sptest/nginx:latest"}, "sptest-nginx"},
		{byImage, Container{Name: "x", Image: "registry:5000/a/b@sha256:00"}, "registry-5000-a-b"},
		{byLabel, Container{Name: "x", Labels: map[string]string{"app": "checkout"}}, "checkout"},
		// No such label: the name.
		{byLabel, Container{Name: "x"}, "x"},
		// Compose wins over every choice.
		{byImage, Container{Name: "p-web-1", Image: "nginx", Labels: map[string]string{ComposeServiceLabel: "web"}}, "web"},
		// Hostile keys stay one path element.
		{byLabel, Container{Name: "x", Labels: map[string]string{"app": "../../etc"}}, "etc"},
		{byLabel, Container{Name: "x", Labels: map[string]string{"app": "a b\nc"}}, "a-b-c"},
		{byLabel, Container{Name: "x", Labels: map[string]string{"app": "../.."}}, "x"},
		{byName, Container{Name: "", ID: "0123456789abcdef"}, "0123456789ab"},
		{byName, Container{Name: "..", ID: "0123456789abcdef"}, "0123456789ab"},
		{byName, Container{Name: ".hidden"}, "hidden"},
		{byName, Container{Name: "a/../../etc"}, "a-..-..-etc"},
		{byName, Container{Name: "new\nline"}, "new-line"},
		{byName, Container{Name: "-rf"}, "rf"},
		{byName, Container{Name: "my_app.v2-1"}, "my_app.v2-1"},
		{byName, Container{}, "unnamed"},
	}
	for _, tt := range tests {
		if got := tt.by.ProfileName(tt.c); got != tt.want {
			t.Errorf("%v: ProfileName(%+v) = %q, want %q", tt.by, tt.c, got, tt.want)
		}
	}
	if _, err := ParseNameBy("colour"); err == nil {
		t.Error("ParseNameBy(colour) accepted it")
	}
	if _, err := ParseNameBy("label="); err == nil {
		t.Error("ParseNameBy(label=) accepted it")
	}
}
