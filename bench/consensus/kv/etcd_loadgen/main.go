// etcd_loadgen drives an etcd v3 cluster with N concurrent clients that put
// fixed-size values to random keys, and prints one JSON object:
//
//	{"target":"etcd","clients":N,"conns":C,"puts":P,"errors":E,"seconds":S,
//	 "puts_per_s":X,"p50_us":A,"p99_us":B}
//
// Clients are goroutines sharing C gRPC connections (etcd's own benchmark
// tool shares connections the same way: one connection per client would
// measure connection setup and HTTP/2 flow control, not the store).
// All puts go to the leader, like the cohort load generator does, so that
// neither side pays (or is spared) a follower-to-leader forward.
//
// Built in GOPATH mode against Debian's golang-etcd-server-dev sources:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o etcd_loadgen .
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type result struct {
	Target   string  `json:"target"`
	Clients  int     `json:"clients"`
	Conns    int     `json:"conns"`
	Puts     int     `json:"puts"`
	Errors   int64   `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PutsPerS float64 `json:"puts_per_s"`
	P50Us    float64 `json:"p50_us"`
	P99Us    float64 `json:"p99_us"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "etcd_loadgen: "+format+"\n", args...)
	os.Exit(1)
}

// findLeader asks every endpoint for its status and returns the endpoint
// whose member id is the leader every member reports.
func findLeader(endpoints []string, timeout time.Duration) string {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: timeout})
	if err != nil {
		fail("connect %v: %v", endpoints, err)
	}
	defer cli.Close()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, ep := range endpoints {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := cli.Status(ctx, ep)
			cancel()
			if err == nil && st.Leader != 0 && st.Leader == st.Header.MemberId {
				return ep
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	fail("no leader among %v within %v", endpoints, timeout)
	return ""
}

// percentile returns the q-quantile (nearest rank) of sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	idx := int(q*float64(len(sorted))+0.5) - 1
	if idx < 0 {
		idx = 0
	}
	if idx >= len(sorted) {
		idx = len(sorted) - 1
	}
	return sorted[idx]
}

func main() {
	endpointsFlag := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client URLs of the members")
	clients := flag.Int("clients", 1, "concurrent clients (goroutines), each with one put in flight")
	conns := flag.Int("conns", 0, "gRPC connections shared by the clients; 0 = one per 64 clients, at most 8")
	valueBytes := flag.Int("value-bytes", 256, "bytes per value")
	keyspace := flag.Int("keyspace", 100000, "keys are drawn uniformly from this many")
	warmup := flag.Duration("warmup", time.Second, "load before measuring starts")
	duration := flag.Duration("duration", 5*time.Second, "measured interval")
	leaderOnly := flag.Bool("leader-only", true, "send every put to the current leader")
	seed := flag.Int64("seed", 1, "seed for keys and values")
	flag.Parse()

	if *clients < 1 {
		fail("-clients must be >= 1, got %d", *clients)
	}
	if *valueBytes < 0 || *keyspace < 1 || *duration <= 0 || *warmup < 0 {
		fail("-value-bytes must be >= 0, -keyspace >= 1, -duration > 0, -warmup >= 0")
	}
	endpoints := strings.Split(*endpointsFlag, ",")
	if *leaderOnly {
		endpoints = []string{findLeader(endpoints, 10*time.Second)}
	}
	nconns := *conns
	if nconns <= 0 {
		nconns = (*clients + 63) / 64
		if nconns > 8 {
			nconns = 8
		}
	}
	if nconns > *clients {
		nconns = *clients
	}

	cs := make([]*clientv3.Client, nconns)
	for i := range cs {
		c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
		if err != nil {
			fail("connect %v: %v", endpoints, err)
		}
		cs[i] = c
		defer c.Close()
	}

	// Phase 0 warm-up, 1 measuring, 2 stop. A put counts when it completes
	// while measuring; its latency is recorded then.
	var phase int32
	var errors int64
	lat := make([][]time.Duration, *clients)
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(*seed*1000003 + int64(id)))
			value := make([]byte, *valueBytes)
			for j := range value {
				value[j] = byte('a' + rng.Intn(26))
			}
			val := string(value)
			cli := cs[id%nconns]
			mine := make([]time.Duration, 0, 1<<14)
			for atomic.LoadInt32(&phase) < 2 {
				key := fmt.Sprintf("bench/%08d", rng.Intn(*keyspace))
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				start := time.Now()
				_, err := cli.Put(ctx, key, val)
				took := time.Since(start)
				cancel()
				if atomic.LoadInt32(&phase) != 1 {
					continue
				}
				if err != nil {
					atomic.AddInt64(&errors, 1)
					continue
				}
				mine = append(mine, took)
			}
			lat[id] = mine
		}(i)
	}
	time.Sleep(*warmup)
	start := time.Now()
	atomic.StoreInt32(&phase, 1)
	time.Sleep(*duration)
	atomic.StoreInt32(&phase, 2)
	elapsed := time.Since(start).Seconds()
	wg.Wait()

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	r := result{
		Target:   "etcd",
		Clients:  *clients,
		Conns:    nconns,
		Puts:     len(all),
		Errors:   errors,
		Seconds:  elapsed,
		PutsPerS: float64(len(all)) / elapsed,
		P50Us:    float64(percentile(all, 0.50)) / float64(time.Microsecond),
		P99Us:    float64(percentile(all, 0.99)) / float64(time.Microsecond),
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
