// The Go peer of RuntimeBench.pingPong* and ChanBench.pingPong*: two goroutines hand a
// token back and forth over two unbuffered channels, as many round trips as asked, at the
// GOMAXPROCS given. Prints nanoseconds per round trip for each of eight runs after three
// warm-up runs, then their median.
//
//	go run bench/src/main/go/pingpong.go 2
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"
)

func roundTrips(n int) float64 {
	ping := make(chan struct{})
	pong := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			<-ping
			pong <- struct{}{}
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- struct{}{}
		<-pong
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func main() {
	procs := runtime.NumCPU()
	if len(os.Args) > 1 {
		procs, _ = strconv.Atoi(os.Args[1])
	}
	runtime.GOMAXPROCS(procs)
	const n = 1_000_000
	for i := 0; i < 3; i++ {
		roundTrips(n)
	}
	var runs []float64
	for i := 0; i < 8; i++ {
		runs = append(runs, roundTrips(n))
	}
	fmt.Printf("GOMAXPROCS %d, %s: ns per round trip", procs, runtime.Version())
	for _, r := range runs {
		fmt.Printf(" %.0f", r)
	}
	sort.Float64s(runs)
	fmt.Printf("; median %.0f\n", (runs[3]+runs[4])/2)
}
