package ui

import "amlattach/flows"

// stepInfo is the side panel's explanation of a step for someone who has
// never attached compute: what it is for, what Azure ML requires, and why.
func stepInfo(s stepID) (title string, paras []string) {
	switch s {
	case stepWorkspace:
		return "The workspace", []string{
			"An Azure Machine Learning workspace holds your jobs, models and compute targets.",
			"Attaching adds a machine you already have to it as a named compute target. Nothing is created, and the machine is not changed.",
			"You need a role that may write computes in the workspace, such as Contributor or AzureML Data Scientist.",
		}
	case stepTarget, stepExplain:
		return "Compute targets", []string{
			"A compute target is where a job runs. Attaching reuses a machine or cluster you already pay for, instead of creating a new one.",
			"amlattach attaches virtual machines, HDInsight clusters, Batch and Data Lake Analytics accounts, Databricks workspaces, AKS and Arc Kubernetes clusters and Synapse Spark pools, each checked by a preflight first.",
			"Your own computer and Azure Container Instances are never attached: see why by choosing them.",
			"Something attached already does not work? t lists the workspace's computes: doctor examines one, and from there you reattach it with new settings or detach it.",
		}
	case stepComputes:
		return "Troubleshooting", []string{
			"These are the workspace's computes, grouped by the resource they attach, with their stored state and creation date.",
			"CONFLICT marks attachments of the same resource: each new attachment of a resource breaks the earlier ones, so keep one.",
			"The highlighted compute shows the errors Azure ML stored for it, word for word. enter examines it (doctor).",
		}
	case stepDoctor:
		return "Doctor", []string{
			"Doctor reads the compute, the settings Azure ML stored for it and (through listKeys) its password, key or token, then runs its type's probes with them. Nothing is changed.",
			"When listKeys is refused (it needs the listKeys permission on the workspace), give the credentials and doctor runs again with them.",
			"r reattaches with new settings (a rotated password, a new key or token, other TLS settings): the preflight runs first and nothing is detached if it fails. d detaches: Azure ML forgets the compute; the resource itself is untouched. w writes a Markdown report for a ticket.",
			"When a probe's failure has a fix, f shows it and applies it once you confirm; the probes then run again.",
		}
	case stepFix:
		return "Fixes", []string{
			"A fix is a change amlattach can make itself to clear a failed probe: start a stopped VM, add a network rule, install a key.",
			"This screen says what changes, the requests it sends or the script it runs, the Azure permission it needs, what it costs or risks, and how to undo it. Nothing is sent before enter: that key is your consent.",
			"After the fix, the fixed probe and the probes after it run again, so you see whether it worked.",
		}
	case stepResource:
		return "The VM", []string{
			"Azure ML runs each job in a Docker container on the VM, and supports only Ubuntu for this.",
			"A resource ID names the VM exactly: /subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/virtualMachines/NAME. The portal shows it on the VM's Properties page.",
			"Attach each VM to one workspace, once: a second attachment breaks the first.",
		}
	case stepDetails:
		return "Reaching the VM", []string{
			"Azure ML logs in to the VM over SSH with this user and password or key, and stores them in the workspace.",
			"For that the VM needs a public IP address (Azure ML connects from its own network, not yours) and a network security group rule letting inbound TCP on the SSH port in from the service tag AzureMachineLearning.",
			"It also needs Docker, which runs each job, usable by this user or through sudo without a password.",
			"A key with a passphrase can be probed but not attached: Azure ML has no place for the passphrase. ssh-agent keys likewise only probe.",
		}
	case stepHostKey:
		return "Host keys", []string{
			"SSH recognises a server by its host key. The first connection cannot know it, so you check the fingerprint once and it is saved to known_hosts.",
			"From then on a different key means the VM was rebuilt, or something sits between you and it: amlattach then refuses to go on.",
		}
	case stepPreflight:
		return "The preflight", []string{
			"Each probe checks one thing that would make the attach fail, or make jobs fail later: the name, the VM's state and image, its public IP and network rules, SSH, the OS, Docker, the GPU and the disk.",
			"Probes that need the same host share one SSH connection; a probe whose prerequisite failed is skipped and says why.",
			"Nothing is sent to Azure ML during the preflight.",
		}
	case stepConfirm:
		return "The request", []string{
			"This is the request amlattach sends to Azure: a PUT of the compute into the workspace, with the SSH login. Secrets are masked here.",
			"Attach each resource once. Attaching the same VM again, to this workspace or another, breaks the attachments made before.",
		}
	case stepJob:
		return "The test job", []string{
			"\"Succeeded\" on an attach only means Azure ML could log in. A test job proves the rest: a small command job (host name, Python, Docker, GPUs) submitted to the compute, followed to its end, its output on screen.",
			"On a VM, Azure ML logs in over SSH with the stored login and runs the job's container with sudo -n docker: without passwordless sudo for docker, or without a running Docker daemon, the job fails with the service's own message.",
			"When it fails, the service's error is shown with its likely cause and remedy; when amlattach has the fix, f shows it. Ctrl-C asks whether to cancel the job or leave it running.",
		}
	case stepAttach:
		return "Attaching", []string{
			"Azure ML now connects to the VM from its own network, checks SSH and Docker, and ends Succeeded or Failed.",
			"It cannot be stopped half way. If you stop watching, it goes on; amlattach list shows how it ended.",
			"Jobs name the compute (compute=\"NAME\") to run on it.",
		}
	}
	return "", nil
}

// stepInfoFor is stepInfo for a target type: the VM's steps say more about
// SSH and Docker; the other types' say what the type needs.
func stepInfoFor(s stepID, typ string) (title string, paras []string) {
	if typ == "vm" || typ == "" {
		return stepInfo(s)
	}
	var t flows.TargetInfo
	for _, x := range flows.Targets() {
		if x.Type == typ {
			t = x
		}
	}
	noun := resourceNoun(typ)
	switch s {
	case stepResource:
		return "The " + noun, []string{
			"This is " + t.What + ".",
			"A resource ID names it exactly: the portal shows it on the resource's Properties page.",
			"Attach each " + noun + " to one workspace, once: a second attachment breaks the first.",
		}
	case stepDetails:
		return "Attaching a " + noun, []string{
			"Attaching it needs " + t.Needs + ".",
			"Secrets are typed masked, sent only in the attach request, and never shown again.",
		}
	case stepHostKey:
		title, paras = stepInfo(s)
		return title, []string{paras[0], "From then on a different key means the cluster was rebuilt, or something sits between you and it: amlattach then refuses to go on."}
	case stepPreflight:
		return "The preflight", []string{
			"Each probe checks one thing that would make the attach fail, or make jobs fail later: the name, the resource and its state, and what this type needs.",
			"A probe whose prerequisite failed is skipped and says why.",
			"Nothing is sent to Azure ML during the preflight.",
		}
	case stepConfirm:
		return "The request", []string{
			"This is the request amlattach sends to Azure: a PUT of the compute into the workspace. Secrets are masked here.",
			"Attach each resource once. Attaching the same " + noun + " again, to this workspace or another, breaks the attachments made before.",
		}
	case stepAttach:
		return "Attaching", []string{
			"Azure ML now checks the " + noun + " and registers it, and ends Succeeded or Failed.",
			"It cannot be stopped half way. If you stop watching, it goes on; amlattach list shows how it ended.",
		}
	}
	return stepInfo(s)
}
