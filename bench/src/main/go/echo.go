// Command echo is the echo benchmark's Go peer: a goroutine per connection, reading into a
// 32 KiB buffer and writing back what came, as an idiomatic Go server does. It listens on an
// ephemeral port of 127.0.0.1, prints "LISTENING <port>" and serves until killed.
// (io.Copy is not used: on Linux it would splice(2) the bytes through a pipe, a different
// workload from the other servers' read and write.)
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %d\n", ln.Addr().(*net.TCPAddr).Port)
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			continue
		}
		go echo(c)
	}
}

func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
