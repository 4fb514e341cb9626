package tracer

import (
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/tailorsec/tailor/profile"
)

func TestLearningFromHostConfig(t *testing.T) {
	for _, tc := range []struct {
		hc   container.HostConfig
		want profile.Learning
	}{
		{container.HostConfig{}, profile.Learning{Seccomp: "default"}},
		{container.HostConfig{SecurityOpt: []string{"seccomp=unconfined"}}, profile.Learning{Seccomp: "unconfined"}},
		{container.HostConfig{SecurityOpt: []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`, "no-new-privileges"}}, profile.Learning{Seccomp: "custom", NoNewPrivileges: true}},
		{container.HostConfig{SecurityOpt: []string{"no-new-privileges:true"}}, profile.Learning{Seccomp: "default", NoNewPrivileges: true}},
		{container.HostConfig{SecurityOpt: []string{"no-new-privileges=false"}}, profile.Learning{Seccomp: "default"}},
		{container.HostConfig{Privileged: true, CapAdd: []string{"NET_ADMIN"}}, profile.Learning{Seccomp: "unconfined", Privileged: true, CapAdd: []string{"NET_ADMIN"}}},
	} {
		got := learningFrom(&tc.hc)
		if got.Seccomp != tc.want.Seccomp || got.NoNewPrivileges != tc.want.NoNewPrivileges || got.Privileged != tc.want.Privileged || !slices.Equal(got.CapAdd, tc.want.CapAdd) {
			t.Errorf("learningFrom(%+v) = %+v, want %+v", tc.hc.SecurityOpt, got, tc.want)
		}
	}
}

// What the session keeps of a container from Docker's events goes once the
// container has been removed for longer than a namespace may wait for
// attribution; its recording stays.
func TestSessionForgetsDestroyedContainers(t *testing.T) {
	now := time.Now()
	s := &Session{
		seen:       map[string]ContainerEvent{"old": {ID: "old"}, "new": {ID: "new"}, "live": {ID: "live"}},
		early:      map[string]ContainerInfo{"old": {ID: "old"}, "new": {ID: "new"}},
		died:       map[string]ContainerEvent{"old": {ID: "old"}},
		oomKilled:  map[string]bool{"old": true, "live": true},
		containers: map[string]*containerRec{"old": {}, "live": {live: []slotGen{{1, 1}}}},
		destroyed: map[string]time.Time{
			"old": now.Add(-pendingLimit - time.Second), "new": now.Add(-time.Second),
			"live": now.Add(-pendingLimit - time.Second),
		},
	}
	s.forgetDestroyedLocked(now)
	for name, m := range map[string]map[string]bool{
		"seen": keys(s.seen), "early": keys(s.early), "died": keys(s.died), "oomKilled": keys(s.oomKilled), "destroyed": keys(s.destroyed),
	} {
		if m["old"] {
			t.Errorf("%s still holds the container removed long ago", name)
		}
	}
	if _, ok := s.early["new"]; !ok {
		t.Error("the container removed a second ago lost its settings: its namespace may still be attributed")
	}
	if !s.oomKilled["live"] {
		t.Error("the OOM kill of a container not finalized yet was dropped")
	}
	if s.containers["old"] == nil {
		t.Error("a recording was dropped")
	}
}

func keys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
