// The Go peer of NetBench.pingPong*: one loopback TCP connection with both ends in this
// process, a client goroutine and an echoing server goroutine (net.Conn Read and Write, a
// 32 KiB server buffer, TCP_NODELAY as Go sets it). The client writes a message, reads its
// echo back in full and checks it. Prints microseconds per round trip for each of eight runs
// after three warm-up runs, then their median, at the GOMAXPROCS and message size given.
//
//	go run bench/src/main/go/netpingpong.go 2 64
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"
)

func roundTrips(c net.Conn, msg, echoed []byte, n int) float64 {
	start := time.Now()
	for i := 0; i < n; i++ {
		msg[0], msg[len(msg)/2], msg[len(msg)-1] = byte(i), byte(i>>8), ^byte(i)
		if _, err := c.Write(msg); err != nil {
			panic(err)
		}
		if _, err := io.ReadFull(c, echoed); err != nil {
			panic(err)
		}
		if !bytes.Equal(msg, echoed) {
			panic("echo differs")
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n) / 1000
}

func main() {
	procs, size := runtime.NumCPU(), 64
	if len(os.Args) > 1 {
		procs, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		size, _ = strconv.Atoi(os.Args[2])
	}
	runtime.GOMAXPROCS(procs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		s, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		buf := make([]byte, 32*1024)
		for {
			r, err := s.Read(buf)
			if err != nil {
				return
			}
			if _, err := s.Write(buf[:r]); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	msg, echoed := make([]byte, size), make([]byte, size)
	const n = 20_000
	for i := 0; i < 3; i++ {
		roundTrips(c, msg, echoed, n)
	}
	var runs []float64
	for i := 0; i < 8; i++ {
		runs = append(runs, roundTrips(c, msg, echoed, n))
	}
	fmt.Printf("GOMAXPROCS %d, %d B, %s: µs per round trip", procs, size, runtime.Version())
	for _, r := range runs {
		fmt.Printf(" %.1f", r)
	}
	sort.Float64s(runs)
	fmt.Printf("; median %.1f\n", (runs[3]+runs[4])/2)
}
