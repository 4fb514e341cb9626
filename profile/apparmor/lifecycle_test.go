package apparmor

import (
	"testing"

	"github.com/tailorsec/tailor/profile"
)

// What a container may create it may remove: AppArmor's w, which creating
// a file or making a directory needs on that path, is what unlinking it,
// removing the directory or (with the r a rename's source needs) renaming
// it need, so the profile of a run that only created lets the next run
// remove, with no rule added (the kernel's map_old_perms turns w into
// create, delete, setattr, chmod and chown).
func TestCreatedMayBeRemoved(t *testing.T) {
	learned := &profile.Recording{Host: profile.Host{Arch: "x86_64"}, FilesRecorded: true, Files: []profile.FileAccess{
		{Path: "/data/upload.bin", Access: []string{profile.AccessCreate, profile.AccessWrite}},
		{Path: "/data/db1", Access: []string{profile.AccessMkdir}},
	}}
	rules, err := ParseFileRules([]byte(New(learned).Render()))
	if err != nil {
		t.Fatal(err)
	}
	next := &profile.Recording{Host: profile.Host{Arch: "x86_64"}, FilesRecorded: true, Files: []profile.FileAccess{
		{Path: "/data/upload.bin", Access: []string{profile.AccessUnlink}},
		{Path: "/data/db1", Access: []string{profile.AccessRmdir}},
	}}
	if missing := FileNeeds(next, rules); len(missing) != 0 {
		t.Errorf("removing what it created needs more than its profile allows: %v", missing)
	}
	// Nothing beyond: a file it did not create stays out of reach.
	other := &profile.Recording{Host: profile.Host{Arch: "x86_64"}, FilesRecorded: true, Files: []profile.FileAccess{
		{Path: "/data/other.bin", Access: []string{profile.AccessUnlink}},
	}}
	if missing := FileNeeds(other, rules); len(missing) == 0 {
		t.Error("unlinking a file it never created is allowed")
	}
}
