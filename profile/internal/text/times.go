package text

import (
	"fmt"
)

// Times spells a count: "1 time", "12 times".
func Times(n uint64) string {
	if n == 1 {
		return "1 time"
	}
	return fmt.Sprintf("%d times", n)
}
