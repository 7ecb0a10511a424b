package flows

import (
	"errors"
	"testing"

	"amlattach/probes"
)

const formVM = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/gpu-dsvm"

// The VM's form is one description like the other types': its login
// switch decides which of password and key file counts, and its flags map
// back to its fields.
func TestVMFormLoginSwitchDecidesWhatCounts(t *testing.T) {
	v := map[string]string{"resource-id": formVM, "ssh-port": "2222", "username": "azureuser", "login": LoginPassword, "password": "pw", "ssh-key": "/nonexistent"}
	p, err := PlanFromForm("vm", v, true, "/tmp/kh", VMInput{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "gpu-dsvm" || len(p.Secrets()) != 1 || p.Secrets()[0] != "pw" {
		t.Fatalf("plan %+v", p)
	}
	v["login"] = LoginKeyFile
	_, err = PlanFromForm("vm", v, true, "/tmp/kh", VMInput{})
	var fe *Error
	if !errors.As(err, &fe) || fe.Field != "--ssh-key" || FieldKey("vm", fe.Field) != "ssh-key" {
		t.Fatalf("with a key file login the unreadable key must be the problem: %v", err)
	}
	v["login"] = LoginAgent
	if _, err := PlanFromForm("vm", v, false, "/tmp/kh", VMInput{}); !errors.As(err, &fe) || FieldKey("vm", fe.Field) != "ssh-key" {
		t.Fatalf("ssh-agent without an agent: %v", err)
	}
	v["login"], v["ssh-port"] = LoginPassword, "port"
	if _, err := PlanFromForm("vm", v, true, "/tmp/kh", VMInput{}); !errors.As(err, &fe) || fe.Field != "--ssh-port" {
		t.Fatalf("a bad port: %v", err)
	}
}

// Which fields show, and which can fix a failed probe.
func TestVMFormShownAndFaults(t *testing.T) {
	fields := map[string]FormField{}
	for _, f := range Form("vm") {
		fields[f.Key] = f
	}
	v := map[string]string{"login": LoginKeyFile, "ssh-key": "~/.ssh/id"}
	enc := false
	encrypted := func(string) bool { return enc }
	if fields["password"].Shown(v, encrypted) || !fields["ssh-key"].Shown(v, encrypted) || fields["passphrase"].Shown(v, encrypted) {
		t.Fatal("with a key file login: the key file only, no passphrase before the key is known encrypted")
	}
	enc = true
	if !fields["passphrase"].Shown(v, encrypted) {
		t.Fatal("no passphrase for an encrypted key")
	}
	for _, k := range []string{"login", "password", "ssh-key", "passphrase"} {
		if !fields[k].Answers(probes.FieldPassword) {
			t.Errorf("%s does not answer a rejected login", k)
		}
	}
	if !fields["ssh-port"].Answers(probes.FieldPort) || fields["ssh-port"].Answers(probes.FieldNone) {
		t.Fatal("the port answers its own probe field only")
	}
}
