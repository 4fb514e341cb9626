package profiledir

import (
	"fmt"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

// BenchmarkWriteLargeRecording writes the profile of a recording with
// 20,000 files over 200 directories, as a build or a package install
// leaves it: every emitter reads the same normalized recording.
func BenchmarkWriteLargeRecording(b *testing.B) {
	t := &testing.T{}
	rec := profiletest.NginxRecording(t)
	for d := range 200 {
		for f := range 100 {
			rec.Files = append(rec.Files, profile.FileAccess{Path: fmt.Sprintf("/srv/data/d%03d/f%03d", d, f),
				Access: []string{profile.AccessRead}, Mount: profile.MountRootfs})
		}
	}
	profile.Normalize(rec)
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Write(dir, rec); err != nil {
			b.Fatal(err)
		}
	}
}
