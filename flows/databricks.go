package flows

import (
	"context"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// DatabricksKind is the ARM kind of a Databricks target.
const DatabricksKind = "Microsoft.Databricks/workspaces"

// DatabricksInput is what the user gives to attach a Databricks workspace.
// Token is a secret: it comes from --token-file or AMLATTACH_DATABRICKS_TOKEN
// (or the wizard's masked field), never from a flag value.
type DatabricksInput struct {
	Name        string
	Ref         TargetRef
	Token       string
	TokenSource string // "--token-file", "AMLATTACH_DATABRICKS_TOKEN", for messages
}

// ValidateDatabricks checks a Databricks attach before anything touches the network.
func ValidateDatabricks(in DatabricksInput) (*Plan, error) {
	p, err := newPlan("databricks", "Databricks", in.Name, in.Ref, "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.Databricks/workspaces/<workspace> (az databricks workspace show -g <group> -n <workspace> --query id -o tsv)", DatabricksKind)
	if err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(in.Token)
	switch {
	case tok == "":
		return nil, inputErr("--token-file", "create a personal access token in the Databricks workspace (Settings > Developer > Access tokens) and give it with --token-file FILE or AMLATTACH_DATABRICKS_TOKEN", "no Databricks access token")
	case strings.ContainsAny(tok, " \t\r\n"):
		return nil, inputErr(orFlag(in.TokenSource, "--token-file"), "the token is one word, like dapi0123…; check the file holds only the token", "the access token from %s contains spaces", orFlag(in.TokenSource, "--token-file"))
	}
	p.secrets = []string{tok}
	var url string
	fields := func() {
		p.Fields = [][2]string{{"workspaceUrl", orFlag(url, "(read from the workspace)")}, {"databricksAccessToken", "******** (from " + orFlag(in.TokenSource, "--token-file") + ")"}}
	}
	fields()
	p.spec = func() azure.AttachSpec {
		return azure.DatabricksSpec{ResourceID: p.ID.String(), WorkspaceURL: url, Token: tok}
	}
	p.steps = func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) {
		fields()
		var dw azure.DatabricksWorkspace
		steps := append(wsSteps(d, ws, p),
			resourceStep(d, p, func(ctx context.Context) (err error) {
				dw, err = d.Azure.GetDatabricks(ctx, p.ID)
				if err == nil {
					url = dw.WorkspaceURL
					fields()
				}
				return err
			}),
			Step{ID: probes.IDDatabricksState, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result {
				return probes.DatabricksState(dw)
			}},
			Step{ID: probes.IDDatabricksSub, Run: func(context.Context) probes.Result {
				return probes.DatabricksSubscription(p.ID.SubscriptionID, ws.SubscriptionID)
			}},
			Step{ID: probes.IDDatabricksToken, Needs: []string{probes.IDDatabricksState}, Run: func(ctx context.Context) probes.Result {
				c, cancel := d.withTimeout(ctx)
				defer cancel()
				return probes.DatabricksToken(c, d.httpClient(), dw.WorkspaceURL, tok)
			}},
		)
		return steps, noCleanup
	}
	return p, nil
}

func orFlag(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
