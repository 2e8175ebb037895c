// Package procstat reads this process's CPU time and resident set size, for
// the benchmark programs' STATS and SLICE lines (Linux: getrusage and
// /proc/self/status).
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// CPUMicros returns the user + system CPU time of this process so far, in
// microseconds (getrusage RUSAGE_SELF).
func CPUMicros() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000, nil
}

// RSSBytes returns VmRSS of this process from /proc/self/status, in bytes.
func RSSBytes() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		// "VmRSS:	   12345 kB"
		kb, unit, _ := bytes.Cut(bytes.TrimSpace(rest), []byte(" "))
		n, err := strconv.ParseInt(string(kb), 10, 64)
		if err != nil || string(bytes.TrimSpace(unit)) != "kB" {
			return 0, fmt.Errorf("/proc/self/status: cannot read %q", sc.Text())
		}
		return n * 1024, nil
	}
	return 0, fmt.Errorf("/proc/self/status: no VmRSS line")
}

// Stats are the two numbers of a STATS line.
type Stats struct {
	CPUMicros int64 `json:"cpuUs"`
	RSSBytes  int64 `json:"rssBytes"`
}

// Read returns both.
func Read() (Stats, error) {
	cpu, err := CPUMicros()
	if err != nil {
		return Stats{}, err
	}
	rss, err := RSSBytes()
	if err != nil {
		return Stats{}, err
	}
	return Stats{CPUMicros: cpu, RSSBytes: rss}, nil
}
