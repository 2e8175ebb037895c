// Command hashgen computes, with the Go libraries themselves, which server Go
// rpcx's ConsistentHashSelector picks for given key bytes: the key is hashed
// with rpcx's client.HashString (FNV-1a 64) and looked up in an
// edwingeng/doublejump hash (v1.0.1, as pinned by rpcx v1.9.4), exactly as
// consistentHashSelector.Select does after genKey.
//
//	hashgen < cases.json > picks.json
//
// Input: a JSON array of cases
//
//	{ "servers": ["tcp@..", ...], "remove": ["tcp@..", ...],
//	  "updates": [["tcp@..", ...], ...], "keys": ["<base64>", ...] }
//
// The servers are added in the given order, then the "remove" ones removed in
// the given order. Each entry of "updates" (optional) is then applied as
// rpcx's consistentHashSelector.UpdateServer does: add every listed server in
// the given order, then remove the previous servers (sorted) that are not
// listed. Output: one JSON array with, per case, { "picks": [server or "" per
// key], "hashes": [decimal uint64 per key] }.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/edwingeng/doublejump"
	"github.com/smallnest/rpcx/client"
)

type testCase struct {
	Servers []string   `json:"servers"`
	Remove  []string   `json:"remove"`
	Updates [][]string `json:"updates"`
	Keys    [][]byte   `json:"keys"` // base64 in JSON
}

type result struct {
	Picks  []string `json:"picks"`
	Hashes []string `json:"hashes"`
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "hashgen: bad input:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(cases))
	for _, c := range cases {
		h := doublejump.NewHash()
		for _, s := range c.Servers {
			h.Add(s)
		}
		removed := map[string]bool{}
		for _, s := range c.Remove {
			h.Remove(s)
			removed[s] = true
		}
		// The servers now in the hash, sorted, as the selector keeps them.
		var current []string
		for _, s := range c.Servers {
			if !removed[s] {
				current = append(current, s)
			}
		}
		sort.Strings(current)
		for _, update := range c.Updates {
			listed := map[string]bool{}
			for _, s := range update {
				h.Add(s)
				listed[s] = true
			}
			for _, s := range current {
				if !listed[s] {
					h.Remove(s)
				}
			}
			current = append([]string(nil), update...)
			sort.Strings(current)
		}
		r := result{Picks: make([]string, 0, len(c.Keys)), Hashes: make([]string, 0, len(c.Keys))}
		for _, k := range c.Keys {
			key := client.HashString(string(k))
			selected, _ := h.Get(key).(string)
			r.Picks = append(r.Picks, selected)
			r.Hashes = append(r.Hashes, strconv.FormatUint(key, 10))
		}
		results = append(results, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "hashgen:", err)
		os.Exit(1)
	}
}
