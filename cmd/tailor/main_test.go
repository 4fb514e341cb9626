package main

import "testing"

func TestExitCodeOf(t *testing.T) {
	if exitCodeOf(nil) != 0 {
		t.Error("nil error is exit 0")
	}
}
