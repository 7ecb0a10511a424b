// Command bigworld writes a sandbox world file with many VMs to stdout:
//
//	go run ./bench/cmd/bigworld -subs 1 -vms 10000 -page 100 > big.yaml
package main

import (
	"flag"
	"os"

	"amlattach/bench/internal/bigworld"
)

func main() {
	var s bigworld.Spec
	flag.IntVar(&s.Subscriptions, "subs", 20, "subscriptions")
	flag.IntVar(&s.VMs, "vms", 10000, "VMs in all, spread over the subscriptions")
	flag.IntVar(&s.GroupsPerSub, "groups", 5, "resource groups per subscription")
	flag.IntVar(&s.PageSize, "page", 100, "faults.pageSize")
	flag.IntVar(&s.ARMLatencyMs, "latency", 0, "faults.armLatencyMs")
	flag.Parse()
	os.Stdout.Write(s.YAML())
}
