// hello is the workload of the recorder's example: a static binary that
// greets and exits, the whole of a FROM scratch image.
package main

import "fmt"

func main() { fmt.Println("hello from a container") }
