package probes

import (
	"testing"

	"amlattach/azure"
)

const hdiID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/spark-rg/providers/Microsoft.HDInsight/clusters/sparky"

func TestHDIState(t *testing.T) {
	cases := []struct {
		name          string
		state, prov   string
		status        Status
		detail, fixes []string
	}{
		{"running", "Running", "Succeeded", Pass, parts("sparky is Running"), nil},
		{"running lower case, no provisioning", "running", "", Pass, parts("sparky"), nil},
		{"running but provisioning in progress", "Running", "InProgress", Fail, parts("InProgress", "not Succeeded"), parts("az hdinsight show -g spark-rg -n sparky")},
		{"being created", "HdInsightConfiguration", "InProgress", Fail, parts("HdInsightConfiguration", "not Running yet"), parts("wait", "properties.clusterState")},
		{"error", "Error", "Failed", Fail, parts("Error", "Failed"), parts("az hdinsight show -g spark-rg -n sparky")},
		{"deleting", "Deleting", "Deleting", Fail, parts("Deleting"), parts("attach a cluster that is Running")},
		{"no state", "", "Succeeded", Fail, parts("no cluster state"), parts("az hdinsight show")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := HDIState(azure.HDInsightCluster{ID: hdiID, Name: "sparky", State: c.state, ProvisioningState: c.prov})
			want(t, r, c.status, c.detail, c.fixes)
		})
	}
	// Without a parsable ID the command still names the cluster.
	r := HDIState(azure.HDInsightCluster{Name: "sparky", State: "Error"})
	want(t, r, Fail, parts("sparky"), parts("-g <group> -n sparky"))
}

func TestHDIKind(t *testing.T) {
	cases := []struct {
		kind   string
		status Status
		detail []string
	}{
		{"spark", Pass, parts("Spark cluster")},
		{"SPARK", Pass, parts("Spark cluster")},
		{"hadoop", Warn, parts("hadoop cluster, not Spark")},
		{"kafka", Warn, parts("kafka")},
		{"", Warn, parts("no cluster kind")},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			want(t, HDIKind(azure.HDInsightCluster{Name: "sparky", Kind: c.kind}), c.status, c.detail, nil)
		})
	}
}

func TestHDISSH(t *testing.T) {
	cases := []struct {
		name     string
		host     string
		port     int
		status   Status
		wantHost string
		wantPort int
		detail   []string
		remedy   []string
	}{
		{"explicit port", "sparky-ssh.azurehdinsight.net", 22, Pass, "sparky-ssh.azurehdinsight.net", 22, parts("sparky-ssh.azurehdinsight.net:22", "!using 22"), nil},
		{"port 0 means 22", "sparky-ssh.azurehdinsight.net", 0, Pass, "sparky-ssh.azurehdinsight.net", 22, parts(":22", "using 22"), nil},
		{"other port", "sparky-ssh.azurehdinsight.net", 2022, Pass, "sparky-ssh.azurehdinsight.net", 2022, parts(":2022"), nil},
		{"no endpoint", "", 0, Fail, "", 0, parts("no SSH connectivity endpoint", "cannot be attached"), parts("public SSH endpoint", "virtual network", "az hdinsight show -g <group> -n sparky --query properties.connectivityEndpoints")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, host, port := HDISSH(azure.HDInsightCluster{Name: "sparky", SSHHost: c.host, SSHPort: c.port})
			want(t, r, c.status, c.detail, c.remedy)
			if host != c.wantHost || port != c.wantPort {
				t.Errorf("got %s:%d, want %s:%d", host, port, c.wantHost, c.wantPort)
			}
			if c.status == Fail && r.Field != FieldResourceID {
				t.Errorf("field %q, want %q", r.Field, FieldResourceID)
			}
		})
	}
}
