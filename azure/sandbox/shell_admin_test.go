package sandbox

import (
	"strings"
	"testing"
)

const adminWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-0000000000ab
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - name: bare
            ssh: {sim: {os: ubuntu 22.04, sudoNeedsPassword: true, users: {azureuser: {password: pw}}}}
          - name: locked
            ssh: {sim: {os: ubuntu 20.04, aptLocked: true, users: {azureuser: {password: pw}}}}
          - name: centos
            ssh: {sim: {os: centos 7, users: {azureuser: {password: pw}}}}
`

// The administration commands, run in order on one host as root and as its
// user, the way the host.docker-setup script and the probes run them: each
// answer is checked exactly, and what root changed (Docker installed, the
// daemon started, a sudoers file) changes what the user's docker and sudo
// answer.
func TestAdminCommandsChangeTheHost(t *testing.T) {
	w, err := ParseWorld([]byte(adminWorld), "admin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(w)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	host := func(name string) *simHost {
		return srv.vms[key("00000000-0000-0000-0000-0000000000ab", "rg", name)].sim
	}
	bare := host("bare")
	const sudoers = "/etc/sudoers.d/amlattach-docker-azureuser"
	const (
		noPassword = "sudo: a password is required\n"
		denied     = dockerDenied
	)
	steps := []struct {
		host        *simHost
		user, cmd   string
		out, errOut string
		code        int
	}{
		{bare, "root", "command -v docker", "", "", 1},
		{bare, "azureuser", "sudo -n docker version", "", noPassword, 1},
		{bare, "azureuser", "apt-get install -y docker.io", "", aptNotRoot, 100},
		{bare, "root", "apt-get install docker.io", "Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  bridge-utils containerd dns-root-data dnsmasq-base docker.io pigz runc ubuntu-fan\nDo you want to continue? [Y/n] Abort.\n", "", 1},
		{bare, "root", "apt-get install -y -qq docker.ce", "", "E: Unable to locate package docker.ce\n", 100},
		{bare, "root", "apt-get update -qq && apt-get install -y -qq docker.io >/dev/null 2>&1 && command -v docker && systemctl is-active docker",
			"/usr/bin/docker\nactive\n", "", 0},
		{bare, "root", "apt-get install -y -qq docker.io", "docker.io is already the newest version (24.0.7-0ubuntu2~22.04.1).\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", "", 0},
		// The package adds no user to the docker group: only root may use it.
		{bare, "azureuser", "docker version --format '{{.Server.Version}}'", "", denied, 1},
		{bare, "azureuser", "id -Gn", "azureuser adm sudo\n", "", 0},
		{bare, "azureuser", "sudo -n docker version --format '{{.Server.Version}}'", "", noPassword, 1},
		{bare, "root", "id -u azureuser; id -u nobody", "1000\n", "id: 'nobody': no such user\n", 1},
		{bare, "root", `printf '%s ALL=(root) NOPASSWD: %s\n' azureuser /usr/bin/docker > /tmp/good; visudo -c -f /tmp/good`, "/tmp/good: parsed OK\n", "", 0},
		{bare, "root", `printf 'azure;user ALL=(root) NOPASSWD: /usr/bin/docker\n' > /tmp/bad; visudo -c -f /tmp/bad`, "",
			">>> /tmp/bad: syntax error near line 1 <<<\nparse error in /tmp/bad near line 1\n", 1},
		{bare, "root", `visudo -c -q -f /tmp/bad`, "", "", 1},
		{bare, "root", "cmp -s /tmp/good " + sudoers + "; echo $?", "2\n", "", 0},
		{bare, "root", "install -m 0440 -o root -g root /tmp/good " + sudoers + " && stat -c %a " + sudoers + " && cmp -s /tmp/good " + sudoers, "440\n", "", 0},
		{bare, "azureuser", "sudo -n docker version --format '{{.Server.Version}}'", "24.0.7\n", "", 0},
		// The line allows docker, nothing else.
		{bare, "azureuser", "sudo -n sh -c 'echo x'", "", noPassword, 1},
		{bare, "azureuser", "install -m 0600 /tmp/good " + sudoers, "", "install: cannot create regular file '" + sudoers + "': Permission denied\n", 1},
		{bare, "azureuser", "install -o root /tmp/good /tmp/mine", "", "install: cannot change ownership of '/tmp/mine': Operation not permitted\n", 1},
		// A file with a syntax error in /etc/sudoers.d breaks sudo for
		// everyone (which is why visudo checks it first); a name with a dot
		// is not read.
		{bare, "root", "install -m 0440 /tmp/bad /etc/sudoers.d/x.bak", "", "", 0},
		{bare, "azureuser", "sudo -n docker version --format '{{.Server.Version}}'", "24.0.7\n", "", 0},
		{bare, "root", "install -m 0440 /tmp/bad /etc/sudoers.d/broken", "", "", 0},
		{bare, "azureuser", "sudo -n docker version", "",
			">>> /etc/sudoers.d/broken: syntax error near line 1 <<<\nsudo: parse error in /etc/sudoers.d/broken near line 1\nsudo: no valid sudoers sources found, quitting\nsudo: error initializing audit plugin sudoers_audit\n", 1},
		{bare, "root", "rm /etc/sudoers.d/broken", "", "", 0},
		{bare, "root", "systemctl stop docker; systemctl is-active docker", "inactive\n", "", 3},
		{bare, "azureuser", "sudo -n docker version --format x", "", dockerSocketDown, 1},
		{bare, "azureuser", "systemctl start docker", "", "Failed to start docker.service: Interactive authentication required.\nSee system logs and 'systemctl status docker.service' for details.\n", 1},
		{bare, "root", "systemctl enable --now docker && systemctl is-enabled docker", "enabled\n",
			"Synchronizing state of docker.service with SysV service script with /lib/systemd/systemd-sysv-install.\nExecuting: /lib/systemd/systemd-sysv-install enable docker\n", 0},
		{bare, "azureuser", "sudo -n docker version --format '{{.Server.Version}}'", "24.0.7\n", "", 0},
		{bare, "root", "systemctl start nginx", "", "Failed to start nginx.service: Unit nginx.service not found.\n", 5},
		{bare, "root", "f=$(mktemp) && stat -c '%a %n' $f", "600 /tmp/tmp.", "", 0},
		{bare, "root", "apt-get remove -y -qq docker.io >/dev/null; command -v docker", "", "", 1},
		{host("locked"), "root", "apt-get update", "", aptListsLock, 100},
		{host("locked"), "root", "apt-get install -y docker.io", "", aptDpkgLock, 100},
		{host("centos"), "root", "command -v apt-get", "", "", 1},
	}
	for i, st := range steps {
		out, errOut, code := st.host.run(st.user, st.cmd)
		okOut := out == st.out || (strings.HasSuffix(st.out, ".") && strings.HasPrefix(out, st.out) && len(out) == len(st.out)+11)
		if !okOut || errOut != st.errOut || code != st.code {
			t.Fatalf("step %d: %s as %s:\n got  %q %q %d\n want %q %q %d", i, st.cmd, st.user, out, errOut, code, st.out, st.errOut, st.code)
		}
	}
}

// The sudoers grammar the simulated hosts accept, line by line.
func TestParseSudoers(t *testing.T) {
	for line, ok := range map[string]bool{
		"azureuser ALL=(root) NOPASSWD: /usr/bin/docker":             true,
		"azureuser ALL=(ALL:ALL) NOPASSWD:ALL":                       true,
		"%sudo   ALL=(ALL:ALL) ALL":                                  true,
		"ml_user$ ALL=(root) NOPASSWD: /usr/bin/docker, /usr/bin/id": true,
		"Defaults env_reset":                                         true,
		"# a comment":                                                true,
		"azure;user ALL=(root) NOPASSWD: /usr/bin/docker":            false,
		"azureuser ALL=(root) NOPASSWD: docker":                      false,
		"azureuser ALL (root) NOPASSWD: /usr/bin/docker":             false,
		"azureuser ALL=(root NOPASSWD: /usr/bin/docker":              false,
		"$(reboot) ALL=(root) NOPASSWD: /usr/bin/docker":             false,
		"azureuser ALL=(root) NOPASSWD: /usr/bin/docker;reboot":      false,
	} {
		if _, bad := parseSudoers(line + "\n"); (bad == 0) != ok {
			t.Errorf("%q: parsed %v, want %v", line, bad == 0, ok)
		}
	}
}
